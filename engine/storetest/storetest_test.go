package storetest_test

import (
	"testing"

	"github.com/inklingcms/inkling/engine/storetest"
	"github.com/inklingcms/inkling/engine/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestSQLite(t *testing.T) { storetest.Exercise(t, testdb.SQLite) }

func TestPostgres(t *testing.T) { storetest.Exercise(t, testdb.Postgres) }

func TestHooksSQLite(t *testing.T) { storetest.ExerciseHooks(t, testdb.SQLite) }

func TestHooksPostgres(t *testing.T) { storetest.ExerciseHooks(t, testdb.Postgres) }
