// Command hello-plugin is an example third-party Inkling plugin: a "recipe"
// content type, a validate hook, a before_save hook and a delivery
// endpoint, GET /api/v1/recipes/quick?max_minutes=N.
//
// Build it into a plugins directory under the name the host expects
// (inkling-plugin-<name>, where <name> is Plugin.Name):
//
//	go build -o plugins/inkling-plugin-hello ./examples/hello-plugin
//
// See docs/plugins.md for the walk-through.
package main

import "github.com/inklingcms/inkling/plugins/sdk"

func main() { sdk.Serve(newPlugin()) }
