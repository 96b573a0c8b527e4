//go:build tools

// Package cli pins the newest Pulumi engine the engine suite runs: the newest
// github.com/pulumi/pulumi/pkg/v3 the Go module proxy served when it was last raised
// (`go get github.com/pulumi/pulumi/pkg/v3@latest && go mod tidy` here).
package cli

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
