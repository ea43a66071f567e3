package load

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// A Dict is the data dictionary of a DuckDB database, read from the
// comments its build gave every table and column (COMMENT ON).
type Dict struct {
	Database string // database name (the file's base name)
	Tables   []DictTable
}

// A DictTable is one table or view.
type DictTable struct {
	Schema, Name string
	Kind         string // "table" or "view"
	Comment      string
	Rows         int64 // row count; -1 for views
	Columns      []DictColumn
}

// A DictColumn is one column of a table or view.
type DictColumn struct {
	Name, Type string
	Nullable   bool
	Comment    string
}

// FullName is schema.name.
func (t DictTable) FullName() string { return t.Schema + "." + t.Name }

// Dictionary reads the data dictionary of db's own database (not attached
// ones): every table and view outside the system schemas, in schema and
// name order, columns in their order, with row counts of tables.
func Dictionary(ctx context.Context, db *sql.DB) (*Dict, error) {
	d := &Dict{}
	if err := db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&d.Database); err != nil {
		return nil, fmt.Errorf("reading database name: %w", err)
	}
	rows, err := db.QueryContext(ctx, `
		SELECT schema_name, table_name, 'table', coalesce(comment, '') FROM duckdb_tables()
		WHERE database_name = current_database() AND NOT internal AND NOT temporary
		UNION ALL
		SELECT schema_name, view_name, 'view', coalesce(comment, '') FROM duckdb_views()
		WHERE database_name = current_database() AND NOT internal AND NOT temporary
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	for rows.Next() {
		var t DictTable
		if err := rows.Scan(&t.Schema, &t.Name, &t.Kind, &t.Comment); err != nil {
			rows.Close()
			return nil, err
		}
		d.Tables = append(d.Tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	byName := map[string]*DictTable{}
	for i := range d.Tables {
		byName[d.Tables[i].FullName()] = &d.Tables[i]
	}
	rows, err = db.QueryContext(ctx, `
		SELECT schema_name, table_name, column_name, data_type, is_nullable, coalesce(comment, '')
		FROM duckdb_columns()
		WHERE database_name = current_database() AND NOT internal
		ORDER BY schema_name, table_name, column_index`)
	if err != nil {
		return nil, fmt.Errorf("listing columns: %w", err)
	}
	for rows.Next() {
		var s, t string
		var c DictColumn
		if err := rows.Scan(&s, &t, &c.Name, &c.Type, &c.Nullable, &c.Comment); err != nil {
			rows.Close()
			return nil, err
		}
		if tb := byName[s+"."+t]; tb != nil {
			tb.Columns = append(tb.Columns, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range d.Tables {
		t := &d.Tables[i]
		t.Rows = -1
		if t.Kind != "table" {
			continue
		}
		q, err := qualified(t.Schema, t.Name)
		if err != nil {
			return nil, err
		}
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+q).Scan(&t.Rows); err != nil {
			return nil, fmt.Errorf("counting rows of %s: %w", t.FullName(), err)
		}
	}
	return d, nil
}

// WriteMarkdown writes the dictionary as Markdown: a contents list, then
// each table with its description and a table of its columns.
func (d *Dict) WriteMarkdown(w io.Writer, title string) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# %s\n\n", mdText(title))
	fmt.Fprintf(b, "Database `%s`: %d tables and views. Generated from the comments in the database itself.\n\n", d.Database, len(d.Tables))
	schema := ""
	for _, t := range d.Tables {
		if t.Schema != schema {
			schema = t.Schema
			fmt.Fprintf(b, "- **%s**\n", mdText(schema))
		}
		fmt.Fprintf(b, "  - [%s](#%s) — %s\n", t.FullName(), anchor(t), mdText(firstSentence(t.Comment)))
	}
	for _, t := range d.Tables {
		fmt.Fprintf(b, "\n## %s\n\n", t.FullName())
		kind := t.Kind
		if t.Rows >= 0 {
			kind = fmt.Sprintf("%s, %d rows", kind, t.Rows)
		}
		fmt.Fprintf(b, "*%s*\n\n%s\n\n", kind, mdText(t.Comment))
		fmt.Fprintf(b, "| column | type | description |\n|---|---|---|\n")
		for _, c := range t.Columns {
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", c.Name, mdText(c.Type), mdText(c.Comment))
		}
	}
	return b.Flush()
}

// WriteHTML writes the dictionary as one self-contained HTML page (inline
// style, no scripts or external resources).
func (d *Dict) WriteHTML(w io.Writer, title string) error {
	return dictHTML.Execute(w, struct {
		Title string
		*Dict
	}{title, d})
}

func anchor(t DictTable) string { return strings.ToLower(t.Schema + "-" + t.Name) }

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// mdText makes s safe inside a Markdown table cell or paragraph.
func mdText(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

var dictHTML = template.Must(template.New("dict").Funcs(template.FuncMap{
	"anchor": anchor, "first": firstSentence,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #212b32; line-height: 1.45; }
h1 { color: #005eb8; }
h2 { border-top: 2px solid #005eb8; padding-top: .6rem; margin-top: 2.2rem; font-size: 1.25rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #d8dde0; }
th { background: #f0f4f5; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .92em; }
.kind { color: #4c6272; font-size: .9em; }
nav ul { columns: 2; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>Database <code>{{.Database}}</code>: {{len .Tables}} tables and views. Generated from the comments in the database itself.</p>
<nav><ul>
{{- range .Tables}}
<li><a href="#{{anchor .}}"><code>{{.FullName}}</code></a> — {{first .Comment}}</li>
{{- end}}
</ul></nav>
{{- range .Tables}}
<h2 id="{{anchor .}}"><code>{{.FullName}}</code></h2>
<p class="kind">{{.Kind}}{{if ge .Rows 0}}, {{.Rows}} rows{{end}}</p>
<p>{{.Comment}}</p>
<table>
<thead><tr><th>column</th><th>type</th><th>description</th></tr></thead>
<tbody>
{{- range .Columns}}
<tr><td><code>{{.Name}}</code></td><td><code>{{.Type}}</code></td><td>{{.Comment}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
</body>
</html>
`))
