// Package pluginhost runs Inkling's plugins out of process (hashicorp/go-plugin
// over gRPC with AutoMTLS) and is the only engine package that speaks
// plugins/protocol.
//
// # Catalog
//
// Two kinds of plugin sit behind one type (Vault's plugin catalog):
//
//   - built-in plugins are compiled into the inkling binary; Config.Builtins
//     maps their names to a factory returning the command that re-executes
//     the binary as `inkling plugin run NAME`. They are enabled by default and
//     not pinned (they are part of the binary).
//   - external plugins are executables named inkling-plugin-<name> in
//     Config.Dir. They are discovered disabled; Manager.Enable pins the
//     sha256 of the file at that moment and grants the scopes the plugin
//     requests. A file whose hash later differs from the pin is not started
//     (status checksum_mismatch) until an admin enables it again; go-plugin's
//     SecureConfig checks the hash again at exec time.
//
// The plugins table (migration 20261126000002_plugins) keeps one row per
// plugin: kind, path, pin, enabled, version, protocol version, content types,
// status and last error, settings, requested, granted and revoked scopes.
// Secrets are never stored: a plugin reads them through the Host service
// from environment variables INKLING_PLUGIN_<NAME>_<KEY> (upper case, '-'
// becomes '_'); plugin processes do not inherit the server's environment.
//
// # Start
//
// Starting a plugin runs: exec, go-plugin handshake, GetMetadata (the name
// must match the catalog name, the protocol version must be
// protocol.Version), GetSchema (every declared type is registered with
// Source = the plugin's name; a destructive change is refused and the plugin
// marked failed), then Configure with its settings, granted scopes and the
// broker id on which the host serves the Host service for that plugin only.
//
// # Calls and supervision
//
// Every call to a plugin has a deadline (Config.CallTimeout, 5s by default;
// events, jobs and actions have their own). A call that hits it fails with
// apperr.Timeout; a call to a plugin that is not running (restarting,
// failed, disabled) fails at once with apperr.Unavailable. A supervisor per
// plugin watches its process; when it dies the plugin is marked restarting
// and started again with exponential backoff (100ms doubling to 30s, reset
// once a process has stayed up for a minute), and Configure runs again.
//
// Hooks run in plugin name order: BeforeSave chains the before_save hooks
// (each sees the previous one's fields) and then runs the validate hooks.
// An enabled plugin's declarations (hooks, events, endpoints, jobs, actions)
// stay in force while it is down, from its last good metadata (kept in the
// catalog): restarting, failed, checksum_mismatch, missing, or the host
// stopped. A save of a type it binds then fails with Unavailable rather than
// letting unvalidated content through; disabling the plugin lifts its
// declarations. Plugins are never called while a database transaction is
// open: callers run hooks before theirs.
//
// Everything exported is safe for concurrent use.
package pluginhost
