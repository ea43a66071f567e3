package synth

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pgBin is where the PostgreSQL 15 server binaries live on the build hosts.
const pgBin = "/usr/lib/postgresql/15/bin"

// TestSocialCareLoadsIntoPostgres loads socialcare.sql into a throwaway
// PostgreSQL with psql -v ON_ERROR_STOP=1 and checks the row counts. It fails
// rather than skips when the binaries are missing.
func TestSocialCareLoadsIntoPostgres(t *testing.T) {
	for _, b := range []string{"initdb", "pg_ctl", "psql"} {
		if _, err := os.Stat(filepath.Join(pgBin, b)); err != nil {
			t.Fatalf("PostgreSQL binary %s is missing: %v", b, err)
		}
	}
	cfg, sum := sharedRegion(t)
	// initdb and postgres refuse to run as root: when the test runs as root
	// the server runs as the postgres (or nobody) account in a directory it owns.
	tmp, err := os.MkdirTemp("", "synth-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	cred := serverCredential(t, tmp)
	data, sock := filepath.Join(tmp, "data"), tmp
	run := func(name string, args ...string) string {
		t.Helper()
		server := name != "psql"
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(pgBin, name), args...)
		cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
		cmd.Dir = tmp
		if server && cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	port := freePort(t)
	run("pg_ctl", "-D", data, "-w", "-l", filepath.Join(tmp, "log"), "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses='' -c fsync=off", port, sock), "start")
	t.Cleanup(func() {
		stop := exec.Command(filepath.Join(pgBin, "pg_ctl"), "-D", data, "-w", "-m", "immediate", "stop")
		if cred != nil {
			stop.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		stop.Run()
	})
	psql := func(args ...string) string {
		return run("psql", append([]string{"-h", sock, "-p", fmt.Sprint(port), "-U", "postgres", "-d", "postgres",
			"-v", "ON_ERROR_STOP=1", "-X", "-q"}, args...)...)
	}
	psql("-f", filepath.Join(cfg.Out, "sources/socialcare/socialcare.sql"))
	got := strings.TrimSpace(psql("-A", "-t", "-c",
		"SELECT (SELECT count(*) FROM people) + (SELECT count(*) FROM care_packages) + (SELECT count(*) FROM safeguarding_referrals)"))
	if want := fmt.Sprint(sum.Files["sources/socialcare/socialcare.sql"]); got != want {
		t.Errorf("loaded %s rows, summary says %s", got, want)
	}
	people := strings.TrimSpace(psql("-A", "-t", "-c", "SELECT count(*) FROM people"))
	_, recs := readCSV(t, filepath.Join(cfg.Out, "truth/records.csv"))
	n := 0
	for _, r := range recs {
		if r[0] == "socialcare" {
			n++
		}
	}
	if people != fmt.Sprint(n) {
		t.Errorf("people has %s rows, records.csv %d socialcare records", people, n)
	}
	open := strings.TrimSpace(psql("-A", "-t", "-c", "SELECT count(*) FROM safeguarding_referrals WHERE status = 'open'"))
	if open == "0" {
		t.Errorf("no open safeguarding referrals")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serverCredential returns nil when the test is not root; as root it returns
// the postgres (or nobody) account and hands dir to it.
func serverCredential(t *testing.T, dir string) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	var u *user.User
	var err error
	for _, name := range []string{"postgres", "nobody"} {
		if u, err = user.Lookup(name); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("running as root and no postgres or nobody account to run the server as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}
