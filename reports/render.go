package reports

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"html/template"
)

//go:embed board-report.html.tmpl
var boardTemplateText string

var boardTemplate = template.Must(template.New("board-report").Parse(boardTemplateText))

// renderHTML executes the board report template.
func renderHTML(p page) ([]byte, error) {
	var buf bytes.Buffer
	if err := boardTemplate.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("rendering board report: %w", err)
	}
	return buf.Bytes(), nil
}

// renderCSV writes t's CSV columns with a header row.
func renderCSV(t *table) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	var keep []int
	var head []string
	for i, c := range t.Columns {
		if c.CSV != "" {
			keep = append(keep, i)
			head = append(head, c.CSV)
		}
	}
	if err := w.Write(head); err != nil {
		return nil, fmt.Errorf("writing %s.csv header: %w", t.Name, err)
	}
	for n, r := range t.Rows {
		rec := make([]string, 0, len(keep))
		for _, i := range keep {
			rec = append(rec, r.Cells[i].Raw)
		}
		if err := w.Write(rec); err != nil {
			return nil, fmt.Errorf("writing %s.csv row %d: %w", t.Name, n+1, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("writing %s.csv: %w", t.Name, err)
	}
	return buf.Bytes(), nil
}
