package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sharedcare/sharedcare/extract"
)

// Secret is a value that must never be printed or logged, such as a DSN
// holding a password. Every way of formatting it prints REDACTED.
type Secret string

const redacted = "REDACTED"

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s Secret) reveal() string             { return string(s) }
func (s Secret) redact(text string) string  { return redactIn(text, string(s)) }
func redactIn(text, secret string) string {
	if secret == "" {
		return text
	}
	return strings.ReplaceAll(text, secret, redacted)
}

// Table is one entity read from the database: either a table (Table) or a
// query (Query), never both.
type Table struct {
	// Entity is the landed entity name (extract.ValidName).
	Entity string
	// Table is "table" or "schema.table". Each part is an identifier of
	// letters, digits, _ and $ (not starting with a digit or $), matched
	// exactly (it is quoted, so case matters).
	Table string
	// Query is a SELECT from the configuration (never from data). With
	// Watermark or Key set it is wrapped as a subquery and filtered and
	// ordered outside; without them its own ORDER BY, if any, is the order.
	Query string
	// Watermark is the column for incremental reads, optional.
	Watermark string
	// Key is the primary key, which orders rows (after the watermark) so
	// that positions and input hashes are reproducible. Required for a
	// Table; optional for a Query.
	Key []string
}

// Config configures a Source.
type Config struct {
	// DSN is a libpq connection string or postgres:// URL.
	DSN    Secret
	Tables []Table
	// Retries is how many times a failed connection is retried with a fresh
	// snapshot, provided no row of this run has been landed yet.
	Retries int
	// Backoff is the wait before the first retry, doubled before each
	// further one up to five minutes; 0 means one second.
	Backoff time.Duration
	// Location interprets timestamp without time zone columns; nil is UTC.
	Location *time.Location
	// Logger receives a warning per retry; nil discards.
	Logger *slog.Logger
}

// maxBackoff caps the wait between attempts.
const maxBackoff = 5 * time.Minute

// Source reads tables of one PostgreSQL database in one snapshot.
type Source struct {
	cfg    Config
	tables []table
}

var _ extract.Source = (*Source)(nil)

// table is a configured Table with its SQL built.
type table struct {
	Table
	full string // SQL for a full read
	incr string // SQL for an incremental read, $1 the previous watermark
	file string // Position.File and Input file
}

// New checks cfg and builds each table's SQL; it opens nothing.
func New(cfg Config) (*Source, error) {
	if cfg.DSN == "" {
		return nil, errors.New("postgres source: DSN is empty")
	}
	if _, err := pgx.ParseConfig(cfg.DSN.reveal()); err != nil {
		// pgx masks passwords only on a best-effort basis: say nothing of
		// the DSN's content.
		return nil, errors.New("postgres source: DSN cannot be parsed (details withheld, as they could show the password)")
	}
	if len(cfg.Tables) == 0 {
		return nil, errors.New("postgres source: no tables configured")
	}
	if cfg.Retries < 0 {
		return nil, fmt.Errorf("postgres source: retries %d is negative", cfg.Retries)
	}
	if cfg.Backoff < 0 {
		return nil, fmt.Errorf("postgres source: backoff %s is negative", cfg.Backoff)
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Source{cfg: cfg}
	seen := map[string]bool{}
	for i, t := range cfg.Tables {
		tb, err := buildTable(t)
		if err != nil {
			return nil, fmt.Errorf("postgres source: table %d: %w", i, err)
		}
		if seen[t.Entity] {
			return nil, fmt.Errorf("postgres source: entity %s configured twice", t.Entity)
		}
		seen[t.Entity] = true
		s.tables = append(s.tables, tb)
	}
	return s, nil
}

func buildTable(t Table) (table, error) {
	if err := extract.ValidName(t.Entity); err != nil {
		return table{}, fmt.Errorf("entity: %w", err)
	}
	if (t.Table == "") == (strings.TrimSpace(t.Query) == "") {
		return table{}, fmt.Errorf("entity %s: set exactly one of Table and Query", t.Entity)
	}
	if t.Watermark != "" {
		if err := checkIdent(t.Watermark); err != nil {
			return table{}, fmt.Errorf("entity %s watermark: %w", t.Entity, err)
		}
	}
	for _, k := range t.Key {
		if err := checkIdent(k); err != nil {
			return table{}, fmt.Errorf("entity %s key: %w", t.Entity, err)
		}
	}
	var from string
	if t.Table != "" {
		parts := strings.Split(t.Table, ".")
		if len(parts) > 2 {
			return table{}, fmt.Errorf("entity %s: table %q must be table or schema.table", t.Entity, t.Table)
		}
		for _, p := range parts {
			if err := checkIdent(p); err != nil {
				return table{}, fmt.Errorf("entity %s table: %w", t.Entity, err)
			}
		}
		if len(t.Key) == 0 {
			return table{}, fmt.Errorf("entity %s: table %s needs Key columns, which give rows a reproducible order", t.Entity, t.Table)
		}
		from = pgx.Identifier(parts).Sanitize()
	} else {
		q := strings.TrimRight(strings.TrimSpace(t.Query), "; \t\r\n")
		if len(t.Key) == 0 && t.Watermark == "" {
			// Keep the query's own ORDER BY.
			return table{Table: t, full: q, file: "postgres:" + t.Entity}, nil
		}
		from = "(" + q + "\n) AS q"
	}
	var order []string
	if t.Watermark != "" {
		order = append(order, pgx.Identifier{t.Watermark}.Sanitize())
	}
	for _, k := range t.Key {
		order = append(order, pgx.Identifier{k}.Sanitize())
	}
	orderBy := " ORDER BY " + strings.Join(order, ", ")
	tb := table{Table: t, file: "postgres:" + t.Entity}
	tb.full = "SELECT * FROM " + from + orderBy
	if t.Watermark != "" {
		tb.incr = "SELECT * FROM " + from + " WHERE " + pgx.Identifier{t.Watermark}.Sanitize() + " > $1" + orderBy
	}
	return tb, nil
}

// checkIdent accepts plain SQL identifiers only: a letter or _, then
// letters, digits, _ or $, at most 63 bytes.
func checkIdent(s string) error {
	if s == "" || len(s) > 63 {
		return fmt.Errorf("identifier %q must have 1 to 63 characters", s)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || i > 0 && (r >= '0' && r <= '9' || r == '$')
		if !ok {
			return fmt.Errorf("identifier %q may hold only letters, digits, _ and $, starting with a letter or _", s)
		}
	}
	return nil
}

// result is what one table's read leaves for the Writer once the whole
// snapshot has been read.
type result struct {
	entity    string
	file      string
	bytes     int64
	sha       string
	watermark string // "" for none
}

// attempt tracks whether anything has reached the Writer, which decides
// whether a failure may be retried.
type attempt struct {
	sent int64 // rows appended or rejected in this run
}

// Extract reads every table in one REPEATABLE READ READ ONLY transaction
// and lands the rows. See the package documentation for retries.
func (s *Source) Extract(ctx context.Context, w *extract.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var st attempt
	for try := 0; ; try++ {
		results, err := s.extractOnce(ctx, w, &st)
		if err == nil {
			for _, r := range results {
				w.Input(r.file, r.bytes, r.sha)
				if r.watermark != "" {
					if err := w.SetWatermark(r.entity, r.watermark); err != nil {
						return err
					}
				}
			}
			return nil
		}
		err = s.cleanError(err)
		if ctx.Err() != nil {
			return fmt.Errorf("postgres source: %w (%w)", ctx.Err(), err)
		}
		if !connectionLost(err) {
			return err
		}
		if st.sent > 0 {
			return fmt.Errorf("postgres source: connection lost after %d rows of this run were landed; not retried, because landed rows cannot be withdrawn, so the run fails and the watermarks stay where they were: %w", st.sent, err)
		}
		if try >= s.cfg.Retries {
			return fmt.Errorf("postgres source: connection failed on all %d attempts: %w", try+1, err)
		}
		wait := s.cfg.Backoff << min(try, 16)
		if wait > maxBackoff || wait <= 0 {
			wait = maxBackoff
		}
		s.cfg.Logger.Warn("postgres source: connection failed; retrying with a fresh snapshot",
			"attempt", try+1, "of", s.cfg.Retries+1, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("postgres source: %w (waiting to retry after: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// cleanError makes sure no error leaving the package shows the DSN.
func (s *Source) cleanError(err error) error {
	dsn := s.cfg.DSN.reveal()
	if !strings.Contains(err.Error(), dsn) {
		return err
	}
	return &redactedError{msg: s.cfg.DSN.redact(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (s *Source) extractOnce(ctx context.Context, w *extract.Writer, st *attempt) ([]result, error) {
	pcfg, err := pgx.ParseConfig(s.cfg.DSN.reveal())
	if err != nil {
		return nil, errors.New("postgres source: DSN cannot be parsed")
	}
	if _, ok := pcfg.RuntimeParams["application_name"]; !ok {
		pcfg.RuntimeParams["application_name"] = "sharedcare"
	}
	if pcfg.ConnectTimeout == 0 {
		pcfg.ConnectTimeout = 30 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres source: connecting: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("postgres source: starting the snapshot transaction: %w", err)
	}
	// Nothing is written; rolling back only ends the snapshot. Its error is
	// of no consequence once every row has been read (and the connection is
	// closed anyway).
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Fix the text forms of values, whatever the server's defaults: they are
	// parsed below and hashed as the raw record.
	if _, err := tx.Exec(ctx, `SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'`); err != nil {
		return nil, fmt.Errorf("postgres source: setting session formats: %w", err)
	}
	var results []result
	for _, t := range s.tables {
		r, err := s.readTable(ctx, tx, w, t, st)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	return results, nil
}

func (s *Source) readTable(ctx context.Context, tx pgx.Tx, w *extract.Writer, t table, st *attempt) (result, error) {
	res := result{entity: t.Entity, file: t.file}
	prev, incremental := "", false
	if t.Watermark != "" {
		prev, incremental = w.PreviousWatermark(t.Entity)
	}
	sql, args := t.full, []any{pgx.QueryResultFormats{pgx.TextFormatCode}}
	if incremental {
		sql, args = t.incr, append(args, prev)
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return res, fmt.Errorf("postgres source: reading entity %s: %w", t.Entity, err)
	}
	defer rows.Close()
	// pgx defers errors to rows.Err after Close or Next; one that arrived
	// before the first row (such as a backend terminated while the query
	// ran) leaves no field descriptions.
	fds := rows.FieldDescriptions()
	if len(fds) == 0 {
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, fmt.Errorf("postgres source: reading entity %s: %w", t.Entity, err)
		}
		return res, fmt.Errorf("postgres source: entity %s: the query returns no columns", t.Entity)
	}
	cols, schema, err := describe(t, fds)
	if err != nil {
		return res, fmt.Errorf("postgres source: entity %s: %w", t.Entity, err)
	}
	wm := -1
	if t.Watermark != "" {
		for i, c := range cols {
			if c.name == t.Watermark {
				wm = i
			}
		}
		if wm < 0 {
			return res, fmt.Errorf("postgres source: entity %s: watermark column %s is not in the result", t.Entity, t.Watermark)
		}
		if !cols[wm].watermarkable() {
			return res, fmt.Errorf("postgres source: entity %s: watermark column %s has a type (oid %d) that cannot be a watermark", t.Entity, t.Watermark, cols[wm].oid)
		}
	}
	ew, err := w.Entity(schema)
	if err != nil {
		return res, err
	}
	conv := converter{loc: s.cfg.Location, m: tx.Conn().TypeMap()}
	h := sha256.New()
	vals := make([]any, len(cols))
	var raw []byte
	var last []byte // watermark text of the last row that had one
	var n int64
	for rows.Next() {
		n++
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		rv := rows.RawValues()
		raw = encodeRaw(raw[:0], cols, rv)
		h.Write(raw)
		h.Write([]byte{'\n'})
		res.bytes += int64(len(raw)) + 1
		if wm >= 0 && rv[wm] != nil {
			last = append(last[:0], rv[wm]...)
		}
		pos := extract.Position{File: t.file, N: n}
		if reason, msg := conv.convert(cols, rv, vals); reason != "" {
			err = ew.Reject(pos, raw, reason, msg)
		} else {
			err = ew.Append(pos, raw, vals)
		}
		st.sent++
		if err != nil {
			return res, err
		}
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("postgres source: reading entity %s after %d rows: %w", t.Entity, n, err)
	}
	res.sha = hex.EncodeToString(h.Sum(nil))
	switch {
	case last != nil:
		res.watermark, err = cols[wm].watermark(last)
		if err != nil {
			return res, fmt.Errorf("postgres source: entity %s: watermark column %s: %w", t.Entity, t.Watermark, err)
		}
	case incremental:
		res.watermark = prev // nothing new: carry the watermark forward
	}
	return res, nil
}

// connectionLost reports whether err means the connection failed (to open,
// or while in use) rather than the SQL or the data being wrong, so that a
// fresh attempt may succeed.
func connectionLost(err error) bool {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection_exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now
			return true
		case pe.Code == "53300": // too_many_connections
			return true
		}
		return false // SQL, permission, authentication and data errors
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return pgconn.SafeToRetry(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
