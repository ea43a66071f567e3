package reports

// Disclosure control, the NHS secondary-care convention (as in Hospital
// Episode Statistics): in the tables it covers, a count from 1 to 7 is
// shown as "*" and every other count is rounded to the nearest 5; zero stays
// zero. Totals are summed from the unrounded counts and then rounded
// themselves, so a total need not equal the sum of its rounded parts.
// Percentages and means are computed from unrounded figures and withheld
// ("*") where their base is suppressed, and also where their numerator is,
// since a percentage of a known base would give the hidden count away.
const (
	suppressMax = 7 // counts 1..suppressMax are suppressed
	roundTo     = 5 // other counts are rounded to a multiple of this
	withheld    = "*"
)

// disclosureRule is the rule in words, printed in the report.
const disclosureRule = "Disclosure control: in the tables marked with it, counts from 1 to 7 are shown as * " +
	"and all other counts are rounded to the nearest 5 (0 is shown as 0). Totals are computed from the " +
	"unrounded figures and then rounded. Percentages and means are computed from unrounded figures and " +
	"withheld (*) where the count they are based on, or the count they describe, is suppressed."

// disclosureOffNote is shown instead when disclosure control is off.
const disclosureOffNote = "Disclosure control is OFF — for internal operational use. Small numbers are shown " +
	"unrounded and this report must not be published or shared beyond the programme team."

// disclosure applies the rule when on; when off, figures pass unchanged.
type disclosure struct{ on bool }

// suppressed reports whether the count n is shown as "*".
func (d disclosure) suppressed(n int64) bool { return d.on && n >= 1 && n <= suppressMax }

// round returns n as published: rounded to the nearest roundTo when on.
// Ties cannot occur, as roundTo is odd.
func (d disclosure) round(n int64) int64 {
	if !d.on {
		return n
	}
	if n < 0 {
		return -d.round(-n)
	}
	return (n + roundTo/2) / roundTo * roundTo
}

// count is the cell for a count: "*" when suppressed, else the published
// value (display with separators, CSV plain).
func (d disclosure) count(n int64) cell {
	if d.suppressed(n) {
		return cell{Text: withheld, Raw: withheld}
	}
	v := d.round(n)
	return cell{Text: fmtInt(v), Raw: rawInt(v)}
}

// published returns the value to chart for a count: zero when suppressed.
func (d disclosure) published(n int64) int64 {
	if d.suppressed(n) {
		return 0
	}
	return d.round(n)
}

// share is the cell for num/base as a percentage: "–" (CSV empty) when the
// base is zero, "*" when either count is suppressed.
func (d disclosure) share(num, base int64) cell {
	if base == 0 {
		return cell{Text: "–"}
	}
	if d.suppressed(base) || d.suppressed(num) {
		return cell{Text: withheld, Raw: withheld}
	}
	x := float64(num) / float64(base)
	return cell{Text: fmtPct(x), Raw: rawFloat(x, 3)}
}

// mean is the cell for total/base with one decimal: "–" (CSV empty) when
// the base is zero, "*" when the base is suppressed. A mean hides its total
// only as well as its base is large, so a mean over a suppressed total is
// withheld too when total is a count (isCount).
func (d disclosure) mean(total float64, base int64, isCount bool) cell {
	if base == 0 {
		return cell{Text: "–"}
	}
	if d.suppressed(base) || (isCount && d.suppressed(int64(total))) {
		return cell{Text: withheld, Raw: withheld}
	}
	x := total / float64(base)
	return cell{Text: fmtDec(x), Raw: rawFloat(x, 1)}
}

// note is the rule or the warning, as the report prints it.
func (d disclosure) note() string {
	if d.on {
		return disclosureRule
	}
	return disclosureOffNote
}

// caption marks the caption of a table under disclosure control.
func (d disclosure) caption(s string) string {
	if d.on {
		return s + " (disclosure control applied)"
	}
	return s
}
