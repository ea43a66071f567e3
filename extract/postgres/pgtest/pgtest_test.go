package pgtest_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sharedcare/sharedcare/extract/postgres/pgtest"
)

func TestStartLoadStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := pgtest.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	dsn, err := srv.CreateDatabase(ctx, "loaded")
	if err != nil {
		t.Fatal(err)
	}
	sql := filepath.Join(t.TempDir(), "load.sql")
	if err := os.WriteFile(sql, []byte("CREATE TABLE t (id int, name text);\nCOPY t (id, name) FROM stdin;\n1\tO'Brien\n2\t\\N\n\\.\nINSERT INTO t VALUES (3, 'Zoë 🙂');\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadSQLInto(ctx, dsn, sql); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var enc string
	if err := conn.QueryRow(ctx, "SELECT count(*), current_setting('server_encoding') FROM t").Scan(&n, &enc); err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if n != 3 || enc != "UTF8" {
		t.Errorf("count %d encoding %s, want 3 UTF8", n, enc)
	}
	bad := filepath.Join(t.TempDir(), "bad.sql")
	os.WriteFile(bad, []byte("SELECT * FROM no_such_table;\n"), 0o644)
	if err := srv.LoadSQLInto(ctx, dsn, bad); err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("loading a failing file: %v", err)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	select {
	case <-srv.Exited():
	default:
		t.Fatal("server process still running after Stop")
	}
	// No backend outlives the postmaster.
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		t.Errorf("backend %d still running after Stop", pid)
	}
	if _, err := pgx.Connect(ctx, srv.DSN); err == nil {
		t.Error("server still accepts connections after Stop")
	}
}

func TestFindBinDir(t *testing.T) {
	d, err := pgtest.FindBinDir()
	if err != nil {
		t.Fatal(err) // make test installs the postgresql package: fail, not skip
	}
	if _, err := os.Stat(filepath.Join(d, "postgres")); err != nil {
		t.Error(err)
	}
}
