// Package jobs is Inkling's background job subsystem, built on River
// (github.com/riverqueue/river).
//
// # Transactional enqueue
//
// A job caused by a content change is inserted in the same transaction as the
// change (InsertTx with the engine's bun.Tx), so a crash loses neither the
// change nor its follow-up work: the job becomes visible to workers when the
// transaction commits and disappears if it rolls back.
//
// # Drivers
//
// The engine's transactions are database/sql ones (bun over database/sql), so
// every insert goes through an insert-only River client built on the engine's
// *sql.DB. Working jobs is done by a second client with its own connections:
//
//	              insert (engine *sql.DB / bun.Tx)     work (own pool)
//	PostgreSQL    riverdatabasesql                     riverpgxv5 (pgxpool, LISTEN/NOTIFY)
//	SQLite        riversqlite                          riversqlite (own *sql.DB, 1 connection)
//
// Both clients of a dialect share River's tables. On PostgreSQL an insert
// sends NOTIFY in the inserting transaction, delivered at commit; on SQLite
// it writes a row to River's notification outbox, which the working client
// polls every 50 ms. The FetchPollInterval (Config.PollInterval) is the
// fallback in both cases.
//
// # Lifecycle
//
//	j, err := jobs.New(jobs.Config{DB: db, DatabaseURL: url, Log: log, Work: role != "web"})
//	jobs.Register(j, &ReindexWorker{})        // every role: inserts check the kind is known
//	j.AddPeriodic(river.NewPeriodicJob(...))  // only used where Work is true
//	err = j.Start(ctx)                        // InsertTx/Insert work after Start
//	...
//	err = j.Stop(ctx)                         // graceful: running jobs get Config.StopTimeout
//
// Migrate applies River's own migrations; call it after the engine's
// migrations (in `inkling migrate` and at serve start).
//
// # Failures
//
// A worker that returns an error has the error recorded on the job row
// (JobRow.Errors) and the job is retried with River's exponential backoff
// (attempt^4 seconds: 1 s, 16 s, 81 s, ...) up to its MaxAttempts (25 unless
// the args or InsertOpts say otherwise), then discarded. river.JobCancel and
// river.JobSnooze steer a job from inside Work. Job and Failures read jobs
// back for the management API; UIHandler serves River UI for admins.
package jobs
