package synth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/transform/nhsnumber"
)

// rates is one source system's error model. Each is a probability per
// person-level record; see doc.go for the values.
type rates struct {
	nhsMissing float64 // NHS number left empty
	nhsMistype float64 // NHS number mistyped (a tenth of these still pass Modulus 11)
	nameTypo   float64 // one keyboard slip in the given or family name
	nickname   float64 // given name recorded as a nickname, when the name has one
	oldSurname float64 // surname before marriage, for people who changed it
	oldAddress float64 // address before a move, for people who moved
	dobSwap    float64 // day and month swapped, for dates with day <= 12 and day != month
	dobTypo    float64 // one digit of the date of birth wrong
	noMiddle   float64 // middle names dropped
}

var (
	ratesGP    = rates{nhsMissing: 0.005, nhsMistype: 0.001, nameTypo: 0.005, nickname: 0.005, oldSurname: 0.15, oldAddress: 0.10, dobSwap: 0.002, dobTypo: 0.001, noMiddle: 0.05}
	ratesAcute = rates{nhsMissing: 0.06, nhsMistype: 0.015, nameTypo: 0.025, nickname: 0.04, oldSurname: 0.5, oldAddress: 0.4, dobSwap: 0.01, dobTypo: 0.005, noMiddle: 0.3}
	ratesMH    = rates{nhsMissing: 0.04, nhsMistype: 0.01, nameTypo: 0.02, nickname: 0.06, oldSurname: 0.4, oldAddress: 0.4, dobSwap: 0.008, dobTypo: 0.003, noMiddle: 0.2}
	ratesSC    = rates{nhsMissing: 0.25, nhsMistype: 0.02, nameTypo: 0.03, nickname: 0.05, oldSurname: 0.5, oldAddress: 0.3, dobSwap: 0.015, dobTypo: 0.005, noMiddle: 0.5}
	ratesSP    = rates{nhsMissing: 0.05, nhsMistype: 0.02, nameTypo: 0.04, nickname: 0.15, oldSurname: 0.5, oldAddress: 0.5, dobSwap: 0.02, dobTypo: 0.01, noMiddle: 0.8}
	// Self-referrals to social prescribing usually arrive without an NHS number.
	spSelfNHSMissing = 0.70
	// Duplicate records a source made itself (second hospital MRN, second
	// FHIR Patient) are keyed in worse.
	ratesDup = rates{nhsMissing: 0.5, nhsMistype: 0.05, nameTypo: 0.15, nickname: 0.2, oldSurname: 0.5, oldAddress: 0.5, dobSwap: 0.05, dobTypo: 0.03, noMiddle: 0.6}
)

// view is a person as one source system recorded them.
type view struct {
	nhs    string // "" when missing
	title  string
	given  string
	middle string
	family string
	dob    Date
	sex    byte
	addr   address
	phone  string
	errs   []recErr
}

// recErr is one error the model put into a record, kept for the truth.
type recErr struct {
	kind     string
	recorded string
}

// Error kinds written to truth/record_errors.csv.
const (
	errNHSMissing        = "nhs_missing"
	errNHSMistypeInvalid = "nhs_mistyped_invalid"
	errNHSMistypeValid   = "nhs_mistyped_valid"
	errNameTypo          = "name_typo"
	errNickname          = "nickname"
	errOldSurname        = "old_surname"
	errOldAddress        = "old_address"
	errDOBSwap           = "dob_day_month_swap"
	errDOBTypo           = "dob_typo"
)

// view draws how a source recorded p. The draws are taken in a fixed order so
// the same rng state gives the same view.
func (p *person) view(g *rng, rt rates) view {
	v := view{nhs: p.nhs, title: p.title, given: p.given, middle: p.middle, family: p.family,
		dob: p.dob, sex: p.sex, addr: p.addr, phone: p.phone}
	// Fixed number of draws regardless of outcome keeps later draws stable.
	u := [10]float64{}
	for k := range u {
		u[k] = g.Float64()
	}
	if p.prevFamily != "" && u[0] < rt.oldSurname {
		v.family = p.prevFamily
		v.errs = append(v.errs, recErr{errOldSurname, v.family})
	}
	if p.moveDay > 0 && u[1] < rt.oldAddress {
		v.addr = p.prevAddr
		v.errs = append(v.errs, recErr{errOldAddress, v.addr.postcode})
	}
	if nn, ok := nicknames[v.given]; ok && u[2] < rt.nickname {
		v.given = nn[g.IntN(len(nn))]
		v.errs = append(v.errs, recErr{errNickname, v.given})
	}
	if u[3] < rt.nameTypo {
		if g.IntN(2) == 0 {
			v.given = typo(g, v.given)
			v.errs = append(v.errs, recErr{errNameTypo, v.given})
		} else {
			v.family = typo(g, v.family)
			v.errs = append(v.errs, recErr{errNameTypo, v.family})
		}
	}
	if u[4] < rt.noMiddle {
		v.middle = ""
	}
	d := v.dob
	if d.Day <= 12 && d.Day != d.Month && u[5] < rt.dobSwap {
		v.dob = Date{d.Year, d.Day, d.Month}
		v.errs = append(v.errs, recErr{errDOBSwap, v.dob.iso()})
	} else if u[6] < rt.dobTypo {
		v.dob = dobTypo(g, d)
		v.errs = append(v.errs, recErr{errDOBTypo, v.dob.iso()})
	}
	switch {
	case u[7] < rt.nhsMissing:
		v.nhs = ""
		v.errs = append(v.errs, recErr{errNHSMissing, ""})
	case u[7] < rt.nhsMissing+rt.nhsMistype:
		var kind string
		v.nhs, kind = mistypeNHS(g, p.nhs, u[8] < 0.1)
		v.errs = append(v.errs, recErr{kind, v.nhs})
	}
	return v
}

// hasErr reports whether the view carries an error of the kind.
func (v *view) hasErr(kind string) bool {
	for _, e := range v.errs {
		if e.kind == kind {
			return true
		}
	}
	return false
}

var keyRows = []string{"qwertyuiop", "asdfghjkl", "zxcvbnm"}

// neighbour returns a key next to r on a QWERTY keyboard.
func neighbour(g *rng, r rune) rune {
	lr := unicode.ToLower(r)
	for _, row := range keyRows {
		if i := strings.IndexRune(row, lr); i >= 0 {
			j := i + 1
			if (g.IntN(2) == 0 && i > 0) || i == len(row)-1 {
				j = i - 1
			}
			n := rune(row[j])
			if unicode.IsUpper(r) {
				n = unicode.ToUpper(n)
			}
			return n
		}
	}
	return r
}

// typo makes one keyboard slip in s: a neighbouring key, a dropped or
// doubled letter, or two letters swapped. Punctuation may be dropped.
func typo(g *rng, s string) string {
	rs := []rune(s)
	if len(rs) < 3 {
		return s + string(rs[len(rs)-1])
	}
	if i := strings.IndexAny(s, "'-"); i >= 0 && g.IntN(2) == 0 {
		return s[:i] + s[i+1:]
	}
	i := 1 + g.IntN(len(rs)-1) // keep the first letter more often than not
	switch g.IntN(4) {
	case 0:
		rs[i] = neighbour(g, rs[i])
	case 1:
		rs = append(rs[:i], rs[i+1:]...)
	case 2:
		rs = append(rs[:i+1], rs[i:]...)
	default:
		if i == len(rs)-1 {
			i--
		}
		rs[i], rs[i+1] = rs[i+1], rs[i]
	}
	out := string(rs)
	if out == s {
		// Swapping two equal letters changes nothing: drop one instead.
		out = string(append([]rune(s)[:i], []rune(s)[i+1:]...))
	}
	if !utf8.ValidString(out) {
		return s
	}
	return out
}

// dobTypo changes one digit of the date: the day's units, or the year's
// last two digits swapped or off by one.
func dobTypo(g *rng, d Date) Date {
	switch g.IntN(3) {
	case 0:
		nd := d.Day/10*10 + (d.Day%10+1+g.IntN(8))%10
		if nd >= 1 && nd <= 28 && nd != d.Day {
			return Date{d.Year, d.Month, nd}
		}
		return Date{d.Year, d.Month, d.Day%28 + 1}
	case 1:
		y := d.Year%10*10 + d.Year/10%10
		ny := d.Year/100*100 + y
		if ny != d.Year && ny <= 2025 {
			return Date{ny, d.Month, min(d.Day, 28)}
		}
		fallthrough
	default:
		return Date{d.Year - 1 + 2*g.IntN(2), d.Month, min(d.Day, 28)}
	}
}

// mistypeNHS returns a wrong NHS number for nhs. When valid is false it is
// one digit substituted or two adjacent digits swapped, which Modulus 11
// always catches; when valid is true one of the first nine digits is changed
// and the check digit recomputed, so the wrong number passes the check.
func mistypeNHS(g *rng, nhs string, valid bool) (string, string) {
	b := []byte(nhs)
	if valid {
		for {
			c := []byte(nhs)
			i := g.IntN(9)
			c[i] = '0' + byte((int(c[i]-'0')+1+g.IntN(9))%10)
			if d, ok := nhsnumber.CheckDigit(string(c)); ok {
				c[9] = '0' + byte(d)
				if nhsnumber.Valid(string(c)) && string(c) != nhs {
					return string(c), errNHSMistypeValid
				}
			}
		}
	}
	if g.IntN(2) == 0 {
		i := g.IntN(10)
		b[i] = '0' + byte((int(b[i]-'0')+1+g.IntN(9))%10)
	} else {
		i := g.IntN(9)
		for k := 0; k < 9 && b[i] == b[i+1]; k++ {
			i = (i + 1) % 9
		}
		if b[i] == b[i+1] {
			b[i] = '0' + (b[i]-'0'+1)%10
		} else {
			b[i], b[i+1] = b[i+1], b[i]
		}
	}
	if nhsnumber.Valid(string(b)) {
		return string(b), errNHSMistypeValid
	}
	return string(b), errNHSMistypeInvalid
}

// spaced writes an NHS number as "943 476 5919".
func spaced(nhs string) string {
	if len(nhs) != 10 {
		return nhs
	}
	return nhs[:3] + " " + nhs[3:6] + " " + nhs[6:]
}
