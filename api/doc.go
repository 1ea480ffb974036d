// Package api holds Inkling's HTTP surfaces on fiber v3: the public delivery
// API (/api/v1), the management API (/api/admin/v1), health endpoints and
// the generated OpenAPI document. Errors leave through one place (problem.go)
// as RFC 9457 problem+json; engine error codes map to statuses there.
//
// Each resource has its own file with a bind function, called from New in
// server.go, the only place routes are assembled.
package api
