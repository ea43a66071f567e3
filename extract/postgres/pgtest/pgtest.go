// Package pgtest runs a throwaway PostgreSQL server for tests and demos.
//
// Start runs initdb into a directory (trust authentication, UTF8, locale C),
// starts postgres on a free TCP port of 127.0.0.1 with its Unix socket inside
// that directory, and waits until it accepts connections:
//
//	srv, err := pgtest.Start(ctx, t.TempDir())
//	if err != nil {
//		t.Fatal(err) // missing binaries fail, never skip: make test installs them
//	}
//	defer srv.Stop()
//	dsn, err := srv.CreateDatabase(ctx, "people_test")
//	err = srv.LoadSQLInto(ctx, dsn, "testdata/schema.sql")
//
// The server binaries are found with pg_config --bindir, else under
// /usr/lib/postgresql/*/bin (newest major version first), else next to an
// initdb on PATH. initdb and postgres refuse to run as root, so when the
// process runs as root they run as the unprivileged user "postgres" (created
// by the Debian package) or else "nobody"; the data and socket directories
// are given to that user, and every directory above them must be
// traversable by it: temporary directories under os.TempDir() get o+x added,
// anything else not traversable is an error.
//
// The server is a child process of the caller, never daemonised: Stop asks
// it for a fast shutdown (SIGINT, what pg_ctl stop -m fast sends), waits for
// it and its backends to exit, and kills it if it has not gone after ten
// seconds. On Linux the server also gets SIGQUIT if the calling process dies,
// so a crashed test does not leave it running. The server is tuned for
// speed, not durability (fsync off).
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throwaway PostgreSQL server.
type Server struct {
	// DSN connects to the "postgres" database as the superuser "postgres"
	// over TCP, without a password.
	DSN string
	// Dir is the directory given to Start: data/ holds the cluster, sock/
	// the Unix socket and server.log the server's output.
	Dir  string
	Port int

	bindir string
	cred   *syscall.Credential // nil when not running as root
	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{} // closed when the server process has exited
	werr   error         // its Wait error, valid after exited is closed

	stopOnce sync.Once
	stopErr  error
}

// startTimeout bounds how long Start waits for the server to accept
// connections.
const startTimeout = 60 * time.Second

// Start initialises a cluster in dir (which need not exist but must hold no
// earlier cluster) and starts a server on it. The caller must call Stop.
func Start(ctx context.Context, dir string) (*Server, error) {
	bindir, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pgtest: creating %s: %w", dir, err)
	}
	s := &Server{Dir: dir, bindir: bindir}
	if os.Geteuid() == 0 {
		cred, name, err := unprivilegedUser()
		if err != nil {
			return nil, err
		}
		s.cred = cred
		if err := makeTraversable(dir, cred, name); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	sock := filepath.Join(dir, "sock")
	for _, d := range []string{data, sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("pgtest: creating %s: %w", d, err)
		}
		if s.cred != nil {
			if err := os.Chown(d, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
				return nil, fmt.Errorf("pgtest: giving %s to the server user: %w", d, err)
			}
		}
	}
	initdb := s.command(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb in %s: %w\n%s", data, err, out)
	}
	// The free port is found by binding and releasing it, so another process
	// may take it first: try a few.
	var lastErr error
	for try := 0; try < 3; try++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		var exited bool
		exited, lastErr = s.start(ctx, data, sock, port)
		if lastErr == nil {
			return s, nil
		}
		if !exited || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// start runs postgres on port and waits until it accepts connections. On
// failure the process is gone; exited reports that it exited by itself
// (perhaps because the port was taken), so trying again may help.
func (s *Server) start(ctx context.Context, data, sock string, port int) (exited bool, err error) {
	logPath := filepath.Join(s.Dir, "server.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return false, fmt.Errorf("pgtest: creating server log: %w", err)
	}
	// Not exec.CommandContext: the server must outlive Start's context, until
	// Stop.
	cmd := exec.Command(filepath.Join(s.bindir, "postgres"),
		"-D", data,
		"-p", strconv.Itoa(port),
		"-k", sock,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=100",
		"-c", "unix_socket_permissions=0777",
		"-c", "log_min_messages=warning",
	)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Env = serverEnv()
	cmd.SysProcAttr = s.sysProcAttr()
	// Pdeathsig fires when the thread that started the child exits; keep
	// this goroutine on one thread while starting so that thread is one the
	// runtime keeps.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		logf.Close()
		return false, fmt.Errorf("pgtest: starting postgres: %w", err)
	}
	s.cmd, s.log, s.Port = cmd, logf, port
	s.exited = make(chan struct{})
	go func() {
		s.werr = cmd.Wait()
		close(s.exited)
	}()
	s.DSN = s.DatabaseDSN("postgres")

	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, s.DSN)
		cancel()
		if err == nil {
			conn.Close(ctx)
			return false, nil
		}
		select {
		case <-s.exited:
			logf.Close()
			return true, fmt.Errorf("pgtest: postgres exited during start (%v); log %s:\n%s", s.werr, logPath, tail(logPath))
		case <-ctx.Done():
			s.Stop()
			return false, fmt.Errorf("pgtest: waiting for postgres: %w", ctx.Err())
		case <-deadline.C:
			s.Stop()
			return false, fmt.Errorf("pgtest: postgres did not accept connections within %s: %v; log %s:\n%s", startTimeout, err, logPath, tail(logPath))
		case <-tick.C:
		}
	}
}

// Stop shuts the server down (fast: sessions are disconnected, no
// checkpoint wait) and waits for it to exit. It may be called more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		select {
		case <-s.exited:
		default:
			if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
				s.stopErr = fmt.Errorf("pgtest: signalling postgres: %w", err)
			}
			select {
			case <-s.exited:
			case <-time.After(10 * time.Second):
				s.cmd.Process.Signal(syscall.SIGQUIT)
				select {
				case <-s.exited:
				case <-time.After(5 * time.Second):
					s.cmd.Process.Kill()
					<-s.exited
				}
				s.stopErr = errors.New("pgtest: postgres did not stop within 10s and was killed")
			}
		}
		if err := s.log.Close(); err != nil && s.stopErr == nil {
			s.stopErr = err
		}
	})
	return s.stopErr
}

// Exited is closed when the server process has exited.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// DatabaseDSN is the DSN of database db on this server.
func (s *Server) DatabaseDSN(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// CreateDatabase creates database name (letters, digits and _) and returns
// its DSN.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		return "", fmt.Errorf("pgtest: connecting: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: creating database %s: %w", name, err)
	}
	return s.DatabaseDSN(name), nil
}

// LoadSQL runs a SQL file in the postgres database.
func (s *Server) LoadSQL(ctx context.Context, file string) error {
	return s.LoadSQLInto(ctx, s.DSN, file)
}

// LoadSQLInto runs a SQL file against dsn with psql -v ON_ERROR_STOP=1, so
// files may hold several statements and COPY … FROM stdin blocks. Without
// psql the file is sent as one simple-protocol query, which handles several
// statements but not COPY FROM stdin.
func (s *Server) LoadSQLInto(ctx context.Context, dsn, file string) error {
	psql := filepath.Join(s.bindir, "psql")
	if _, err := os.Stat(psql); err != nil {
		psql, err = exec.LookPath("psql")
		if err != nil {
			return s.execFile(ctx, dsn, file)
		}
	}
	cmd := exec.CommandContext(ctx, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", file)
	cmd.Env = serverEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: loading %s: %w\n%s", file, err, out)
	}
	return nil
}

func (s *Server) execFile(ctx context.Context, dsn, file string) error {
	text, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("pgtest: connecting: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, string(text), pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("pgtest: loading %s: %w", file, err)
	}
	return nil
}

// command runs a server binary as the server user.
func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bindir, name), args...)
	cmd.Env = serverEnv()
	cmd.SysProcAttr = s.sysProcAttr()
	return cmd
}

func (s *Server) sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Credential: s.cred}
	setPdeathsig(a)
	return a
}

// serverEnv is the environment of server processes: the caller's, without
// libpq settings that would redirect psql, and with a C locale.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// FindBinDir returns the directory holding initdb and postgres.
func FindBinDir() (string, error) {
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	globbed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(globbed, func(i, j int) bool { return majorVersion(globbed[i]) > majorVersion(globbed[j]) })
	candidates = append(candidates, globbed...)
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, d := range candidates {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found via pg_config --bindir, /usr/lib/postgresql/*/bin or PATH: install the Debian package postgresql (make postgres)")
}

func majorVersion(bindir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return n
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// unprivilegedUser picks the user the server runs as when we are root.
func unprivilegedUser() (*syscall.Credential, string, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, name, nil
	}
	return nil, "", errors.New("pgtest: running as root and neither user postgres nor nobody exists to run the server as")
}

// makeTraversable checks that every directory from / down to dir can be
// searched by the server user, adding o+x to those under the temporary
// directory that cannot.
func makeTraversable(dir string, cred *syscall.Credential, name string) error {
	tmp, err := filepath.EvalSymlinks(os.TempDir())
	if err != nil {
		tmp = os.TempDir()
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	var chain []string
	for d := real; ; d = filepath.Dir(d) {
		chain = append(chain, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		d := chain[i]
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		mode := fi.Mode().Perm()
		var search bool
		switch {
		case st.Uid == cred.Uid:
			search = mode&0o100 != 0
		case st.Gid == cred.Gid:
			search = mode&0o010 != 0
		default:
			search = mode&0o001 != 0
		}
		if search {
			continue
		}
		if d != tmp && strings.HasPrefix(d, tmp+string(filepath.Separator)) {
			if err := os.Chmod(d, mode|0o001); err != nil {
				return fmt.Errorf("pgtest: letting user %s through %s: %w", name, d, err)
			}
			continue
		}
		return fmt.Errorf("pgtest: user %s, which runs the server because we are root, cannot reach %s: %s is not searchable; use a directory under %s", name, dir, d, tmp)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port, nil
}

// tail returns the end of a log file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}
