package load

import (
	"context"
	"database/sql"
	"fmt"
)

// Checksums returns, for every table in the core and marts schemas, its row
// count and an order-independent checksum of its rows ("rows:checksum").
// Two builds from the same inputs give the same map; meta is left out since
// it records the run itself.
func Checksums(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_tables()
		WHERE schema_name IN ('core', 'marts') ORDER BY ALL`)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	var tables [][2]string
	for rows.Next() {
		var s, t string
		if err := rows.Scan(&s, &t); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, [2]string{s, t})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(tables))
	for _, st := range tables {
		s, err := QuoteIdent(st[0])
		if err != nil {
			return nil, err
		}
		t, err := QuoteIdent(st[1])
		if err != nil {
			return nil, err
		}
		var n int64
		var sum string
		q := "SELECT count(*), coalesce(sum(hash(CAST(r AS VARCHAR))::HUGEINT), 0)::VARCHAR FROM " + s + "." + t + " AS r"
		if err := db.QueryRowContext(ctx, q).Scan(&n, &sum); err != nil {
			return nil, fmt.Errorf("checksumming %s.%s: %w", st[0], st[1], err)
		}
		out[st[0]+"."+st[1]] = fmt.Sprintf("%d:%s", n, sum)
	}
	return out, nil
}
