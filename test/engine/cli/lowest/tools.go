//go:build tools

// Package cli pins the lowest Pulumi engine the engine suite runs: the CLI of the lowest
// @pulumi/pulumi the package's peer range admits, built from its Go module.
package cli

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
