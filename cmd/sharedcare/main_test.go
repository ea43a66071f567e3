package main

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/sharedcare/sharedcare/extract/postgres/pgtest"
)

// pg serves the social care databases of the test regions: one server for
// the package, one database per region.
var (
	pg    *pgtest.Server
	pgSeq atomic.Int64
)

func TestMain(m *testing.M) {
	// Tests that need the real CLI in its own process (signals, exit codes)
	// re-run this binary with SHAREDCARE_BE_CLI=1.
	if os.Getenv("SHAREDCARE_BE_CLI") == "1" {
		main()
		return
	}
	dir, err := os.MkdirTemp("", "sharedcare-cmd-test-pg-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pg, err = pgtest.Start(context.Background(), dir)
	if err != nil {
		// make test installs the server binaries; without them the
		// pipeline's PostgreSQL source cannot be tested, which is a failure.
		fmt.Fprintln(os.Stderr, "starting PostgreSQL:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	pg.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// serveRegionDB loads a region's social care database into its own database
// on the test server and points the region's dsn_env at it.
func serveRegionDB(t *testing.T, r *e2e) {
	t.Helper()
	ctx := context.Background()
	dsn, err := pg.CreateDatabase(ctx, fmt.Sprintf("region%d", pgSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.LoadSQLInto(ctx, dsn, r.cfg.Path(socialCareSQL)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHAREDCARE_SOCIALCARE_DSN", dsn)
}
