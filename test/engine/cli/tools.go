//go:build tools

// Package cli pins the Pulumi engine the engine suite runs: the CLI of the
// @pulumi/pulumi version the package depends on, built from its Go module.
package cli

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
