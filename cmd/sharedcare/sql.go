package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
)

// SQLCmd runs a read-only query.
type SQLCmd struct {
	Config string `help:"Region configuration file (its warehouse is queried)." type:"existingfile" short:"c" xor:"db"`
	DB     string `help:"DuckDB file to query instead of the configured warehouse." type:"existingfile" xor:"db"`
	CSV    bool   `help:"Print CSV instead of an aligned table."`
	Query  string `arg:"" help:"SQL text, or the path of a .sql file."`
}

// Run implements `sharedcare sql`.
func (c *SQLCmd) Run(ctx context.Context, log *slog.Logger) error {
	path := c.DB
	if path == "" {
		if c.Config == "" {
			return usageError{errors.New("give --config or --db")}
		}
		cfg, err := config.Load(c.Config)
		if err != nil {
			return usageError{err}
		}
		path = cfg.Path(cfg.Warehouse)
	}
	q := c.Query
	if strings.HasSuffix(q, ".sql") {
		b, err := os.ReadFile(q)
		if err != nil {
			return usageError{err}
		}
		q = string(b)
	}
	db, err := openWarehouse(path)
	if err != nil {
		return err
	}
	defer db.Close()
	return printQuery(ctx, db, q, c.CSV, os.Stdout)
}

func printQuery(ctx context.Context, db *sql.DB, q string, asCSV bool, out io.Writer) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return usageError{fmt.Errorf("query: %w", err)}
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var cw *csv.Writer
	var tw *tabwriter.Writer
	if asCSV {
		cw = csv.NewWriter(out)
		cw.Write(cols)
	} else {
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	rec := make([]string, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			rec[i] = formatValue(v)
		}
		if asCSV {
			cw.Write(rec)
		} else {
			fmt.Fprintln(tw, strings.Join(rec, "\t"))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if asCSV {
		cw.Flush()
		return cw.Error()
	}
	return tw.Flush()
}

func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 {
			return v.Format("2006-01-02")
		}
		return v.Format(time.RFC3339)
	case []byte:
		return string(v)
	}
	return fmt.Sprint(v)
}
