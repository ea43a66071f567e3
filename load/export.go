package load

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ExportMarts writes every table and view of db's marts schema to
// dir/<table>.parquet with DuckDB's COPY … (FORMAT parquet), and returns the
// files written. Each file is written as <table>.parquet.partial and renamed
// into place once complete, so a reader never sees half a file. db may be
// opened read-only.
func ExportMarts(ctx context.Context, db *sql.DB, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating export directory: %w", err)
	}
	rows, err := db.QueryContext(ctx, `
		SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'marts'
		UNION ALL
		SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND schema_name = 'marts' AND NOT internal
		ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("listing marts: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, t := range tables {
		if filepath.Base(t) != t || t == "." || t == ".." {
			return out, fmt.Errorf("exporting marts.%s: the name cannot be a file name", t)
		}
		final := filepath.Join(dir, t+".parquet")
		partial := final + ".partial"
		if err := os.Remove(partial); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return out, err
		}
		qt, err := QuoteIdent(t)
		if err != nil {
			return out, err
		}
		lit, err := QuoteLiteral(partial)
		if err != nil {
			return out, err
		}
		if _, err := db.ExecContext(ctx, "COPY (SELECT * FROM marts."+qt+") TO "+lit+" (FORMAT parquet)"); err != nil {
			os.Remove(partial)
			return out, fmt.Errorf("exporting marts.%s: %w", t, err)
		}
		if err := os.Rename(partial, final); err != nil {
			os.Remove(partial)
			return out, fmt.Errorf("publishing %s: %w", final, err)
		}
		out = append(out, final)
	}
	return out, nil
}
