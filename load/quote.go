package load

import (
	"fmt"
	"strings"
)

// QuoteLiteral quotes s as a SQL string literal. It is the one place where
// the pipeline builds SQL text from a value, and it is used only for values
// DuckDB cannot take as bound parameters: file paths from the pipeline's own
// manifest in read_parquet and setting values in SET. A NUL byte is refused.
func QuoteLiteral(s string) (string, error) {
	if strings.ContainsRune(s, 0) {
		return "", fmt.Errorf("refusing to quote a value containing NUL")
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}

// QuoteIdent quotes s as a SQL identifier.
func QuoteIdent(s string) (string, error) {
	if strings.ContainsRune(s, 0) || s == "" {
		return "", fmt.Errorf("refusing to quote identifier %q", s)
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`, nil
}
