// Package sdk is the plugin SDK of Inkling: the only package a plugin
// imports, besides contenttypes for the content model.
//
// A plugin is a separate executable the host starts (hashicorp/go-plugin,
// gRPC, mutual TLS). Its main is one call:
//
//	func main() {
//		sdk.Serve(&sdk.Plugin{
//			Name:         "hello",
//			Version:      "1.0.0",
//			ContentTypes: []contenttypes.ContentType{recipe},
//			Scopes:       []string{sdk.ScopeEntriesRead},
//			Validate:     []sdk.ValidateHook{{Types: []string{"recipe"}, Func: validateRecipe}},
//			Endpoints:    []sdk.Endpoint{{Path: "/recipes/quick", Handle: quickRecipes}},
//		})
//	}
//
// # Declaration
//
// [Plugin] is data: content types, requested scopes, hooks, jobs, delivery
// endpoints and admin actions, each with the function that serves it.
// [Serve] checks it first ([Plugin.Check]: duplicate kinds, colliding
// endpoints, invalid content types, unknown scopes or events...) and
// refuses to start with a list of problems; then it answers the host's
// GetMetadata and GetSchema from it, and routes every other call to the
// declared function.
//
// # Calls and their guarantees
//
//   - Validate and BeforeSave hooks run synchronously before the save's
//     transaction, within the host's deadline (the ctx they receive).
//     They return diagnostics with field paths (see [BlockPath]).
//   - Events (AfterSave, AfterPublish, AfterUnpublish, Workflow) are
//     delivered after commit, at least once: an error makes the host
//     retry with the same [Event.ID]. Handlers must be idempotent.
//   - Jobs are retried by the host when Run returns an error.
//   - Endpoints answer public GET requests below /api/v1; a client error
//     is an [*Error] ([NotFound], [BadRequest], [Invalid]...).
//   - An error or a panic in any function fails that call only (a panic
//     becomes a gRPC Internal error, logged with its stack); the plugin
//     keeps serving.
//
// # Host
//
// Every function receives the [Host], the plugin's way back into Inkling:
// read entries, save drafts, read settings and secrets, enqueue jobs,
// invalidate cache tags, store media. Each call needs a scope the host
// granted; a call without it fails with an error matching
// [ErrPermission].
//
// # Testing
//
// Package sdktest runs a plugin inside a unit test, over real gRPC and the
// real go-plugin broker, against an in-memory host whose store a test
// seeds and inspects.
package sdk
