// Package auth holds management-API identities and permissions: users with
// argon2id password hashes, API tokens (random, shown once, stored as SHA-256),
// roles (admin, editor, reviewer) and per-action, per-content-type grants.
//
// Admins can do everything. Other roles can do what the role_grants table
// grants them: an action on a content type key, or on "*" for every type.
// Defaults are seeded by the first migration and listed in docs/data-model.md.
package auth
