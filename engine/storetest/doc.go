// Package storetest is the storage conformance suite: Exercise runs the
// engine's services (registry, entries, delivery, auth, audit) against a
// database and checks the behaviour every dialect must share. It runs
// unchanged on SQLite and PostgreSQL (storetest_test.go).
package storetest
