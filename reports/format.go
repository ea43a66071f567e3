package reports

import (
	"strconv"
	"strings"
	"time"
)

// Display formats (HTML) and raw formats (CSV) for the report's figures.
// CSV carries plain numbers: no separators, rates as fractions.

// fmtInt formats n with thousands separators: 12345 → "12,345".
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteString("−") // U+2212 minus sign reads better than a hyphen
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtSigned formats n with an explicit sign and thousands separators.
func fmtSigned(n int64) string {
	if n > 0 {
		return "+" + fmtInt(n)
	}
	return fmtInt(n)
}

// fmtPct formats a fraction as a percentage with one decimal: 0.1234 → "12.3%".
func fmtPct(x float64) string {
	return strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
}

// fmtSignedPct formats a fractional change as a signed percentage.
func fmtSignedPct(x float64) string {
	s := fmtPct(x)
	switch {
	case strings.HasPrefix(s, "-"):
		return "−" + s[1:]
	case s == "0.0%":
		return s
	default:
		return "+" + s
	}
}

// fmtDec formats x with thousands separators and one decimal.
func fmtDec(x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	if n == 0 && strings.HasPrefix(whole, "-") {
		return "−0." + frac
	}
	return fmtInt(n) + "." + frac
}

// rawInt and rawFloat are the CSV forms. Rates and shares go to CSV with
// 3 decimals, as the HTML shows them as percentages with 1; means and
// ratios with 1 decimal, as in the HTML.
func rawInt(n int64) string { return strconv.FormatInt(n, 10) }

func rawFloat(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }

// monthLabel formats a month for prose: "April 2025".
func monthLabel(m time.Time) string { return m.Format("January 2006") }

// monthDir is the report directory name for a month: "2025-04".
func monthDir(m time.Time) string { return m.Format("2006-01") }
