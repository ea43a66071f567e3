package reports

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The PDF board pack: A4 landscape, fpdf's core Helvetica (so every word
// can be extracted as text), charts as PNG drawn from the same plots as the
// SVGs, tables split across pages with their header repeated.
const (
	pdfMargin   = 12.0 // mm
	pdfLine     = 4.6  // mm, body line height at 9 pt
	pdfChartDPI = 150
)

var (
	pdfBlue  = [3]int{0x00, 0x5e, 0xb8}
	pdfInk   = [3]int{0x21, 0x2b, 0x32}
	pdfMuted = [3]int{0x4c, 0x62, 0x72}
	pdfRule  = [3]int{0xd8, 0xdd, 0xe0}
	pdfWarn  = [3]int{0xff, 0xf9, 0xc4}
	pdfAlarm = [3]int{0xd5, 0x28, 0x1b}
)

// pdfASCII maps the characters the report uses beyond Latin-1 to ASCII, so
// the core fonts can show them and a text extractor reads them back.
var pdfASCII = strings.NewReplacer(
	"–", "-", "—", "-", "−", "-", "‘", "'", "’", "'", "“", `"`, "”", `"`, "…", "...",
	"▲", "+", "▼", "-", "●", "=", "÷", "/", "×", "x", "≥", ">=", "≤", "<=", "\u00a0", " ",
)

// pdfWriter wraps fpdf with the pack's text handling.
type pdfWriter struct {
	*fpdf.Fpdf
	tr func(string) string
}

// text prepares s for a core font: ASCII for the characters mapped above,
// Latin-1 kept, anything else '?'.
func (w *pdfWriter) text(s string) string {
	s = pdfASCII.Replace(s)
	s = strings.Map(func(r rune) rune {
		if r > 0xff {
			return '?'
		}
		return r
	}, s)
	return w.tr(s)
}

func (w *pdfWriter) colour(c [3]int)     { w.SetTextColor(c[0], c[1], c[2]) }
func (w *pdfWriter) fill(c [3]int)       { w.SetFillColor(c[0], c[1], c[2]) }
func (w *pdfWriter) drawColour(c [3]int) { w.SetDrawColor(c[0], c[1], c[2]) }

// width is the usable page width.
func (w *pdfWriter) width() float64 {
	pw, _ := w.GetPageSize()
	return pw - 2*pdfMargin
}

// bottom is the y below which nothing is drawn.
func (w *pdfWriter) bottom() float64 {
	_, ph := w.GetPageSize()
	return ph - pdfMargin - 8
}

// heading writes a section heading, on a new page when little room is left.
func (w *pdfWriter) heading(s string, size float64, need float64) {
	if w.GetY()+need > w.bottom() {
		w.AddPage()
	}
	w.SetFont("Helvetica", "B", size)
	w.colour(pdfBlue)
	w.MultiCell(0, size*0.5, w.text(s), "", "L", false)
	w.Ln(1.5)
	w.colour(pdfInk)
}

// para writes a paragraph of body text.
func (w *pdfWriter) para(s string, style string, c [3]int) {
	w.SetFont("Helvetica", style, 9.5)
	w.colour(c)
	w.MultiCell(0, pdfLine, w.text(s), "", "L", false)
	w.Ln(1.5)
	w.colour(pdfInk)
}

// renderPDF writes the board pack for a built report.
func renderPDF(rep *report, generated time.Time) ([]byte, error) {
	f := fpdf.New("L", "mm", "A4", "")
	w := &pdfWriter{Fpdf: f, tr: f.UnicodeTranslatorFromDescriptor("")}
	stamp := generated
	if stamp.IsZero() {
		stamp = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)
	}
	f.SetCreationDate(stamp)
	f.SetModificationDate(stamp)
	f.SetCatalogSort(true)
	p := rep.page
	f.SetTitle(w.text(p.Title), false)
	f.SetAuthor("sharedcare", false)
	f.SetCreator("sharedcare", false)
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(true, pdfMargin+8)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-pdfMargin - 4)
		f.SetFont("Helvetica", "", 8)
		w.colour(pdfMuted)
		left := p.Title
		if !p.Disclosure {
			left = "DISCLOSURE CONTROL OFF - internal operational use only. " + left
		}
		f.CellFormat(w.width()-40, 5, w.text(left), "T", 0, "L", false, 0, "")
		f.CellFormat(40, 5, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "T", 0, "R", false, 0, "")
		w.colour(pdfInk)
	})

	// Title page.
	f.AddPage()
	f.SetY(45)
	f.SetFillColor(pdfBlue[0], pdfBlue[1], pdfBlue[2])
	f.Rect(pdfMargin, 38, w.width(), 3, "F")
	f.Ln(6)
	f.SetFont("Helvetica", "B", 26)
	w.colour(pdfInk)
	f.MultiCell(0, 12, w.text(p.Title), "", "L", false)
	f.Ln(4)
	f.SetFont("Helvetica", "", 14)
	w.colour(pdfMuted)
	sub := "Monthly programme board pack, " + p.Month
	if p.Region != "" {
		sub = p.Region + " - " + sub
	}
	f.MultiCell(0, 7, w.text(sub), "", "L", false)
	if p.Generated != "" {
		f.MultiCell(0, 7, w.text("Generated "+p.Generated+" by sharedcare"), "", "L", false)
	}
	f.Ln(8)
	if p.Disclosure {
		w.para(p.DisclosureNote, "", pdfMuted)
	} else {
		f.SetFont("Helvetica", "B", 13)
		w.colour(pdfAlarm)
		w.drawColour(pdfAlarm)
		f.SetLineWidth(1)
		f.MultiCell(0, 7, w.text(p.DisclosureNote), "1", "L", false)
		f.SetLineWidth(0.2)
		w.colour(pdfInk)
	}
	f.Ln(4)
	w.para("Contents: headline figures; trends over 13 months; uptake by partner organisation; how the record is used; "+
		"referrals via interoperability; data quality by source; figures behind the trends.", "", pdfInk)

	// Headline.
	f.AddPage()
	w.heading("Headline for "+p.Month, 16, 30)
	for _, h := range p.Headline {
		line := h.Label + ": " + h.Value
		if h.Change != "" {
			line += "   " + h.Change + " on " + p.PrevMonth
		}
		if h.ChangeAvg != "" {
			line += ";   " + h.ChangeAvg + " on " + p.AvgLabel
		}
		w.para(line, "B", pdfInk)
	}
	f.Ln(2)
	w.heading("Needs attention", 13, 20)
	if len(p.Attention) == 0 {
		w.para("No organisation is flagged this month.", "", pdfInk)
	}
	for _, a := range p.Attention {
		w.para(a.Org+": "+a.Flag+". "+a.Detail, "", pdfInk)
	}
	w.para("Poor uptake: live for at least "+fmt.Sprint(p.MinLive)+" complete months and fewer than "+p.PoorUptake+
		" of authorised users active in the month. Declining: mean records viewed over the last "+fmt.Sprint(p.Window)+
		" months at least "+p.Decline+" below the mean over the "+fmt.Sprint(p.Window)+" months before.", "", pdfMuted)

	// Charts, two to a page.
	f.AddPage()
	w.heading("Charts", 16, 20)
	for i, c := range rep.charts {
		if err := w.chart(c, i); err != nil {
			return nil, err
		}
	}

	// Tables: every table the HTML shows.
	f.AddPage()
	w.heading("Tables", 16, 20)
	if p.Referrals.Window != "" {
		w.para("Referral journey: referrals received "+p.Referrals.Window+" and the stages reached by the warehouse build. "+
			"Wellbeing: people with a baseline and a follow-up score; meaningful change "+
			fmt.Sprintf("WEMWBS +%d, SWEMWBS +%d or more.", p.Referrals.WEMWBS, p.Referrals.SWEMWBS), "", pdfMuted)
	}
	if p.Quality.Freshness != "" {
		w.para(p.Quality.Freshness, "", pdfMuted)
	}
	for _, t := range rep.tables {
		v := t.view()
		if len(v.Columns) == 0 {
			continue // CSV-only table, shown above as text
		}
		w.table(v)
	}
	if f.Err() {
		return nil, fmt.Errorf("rendering board pack: %w", f.Error())
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("rendering board pack: %w", err)
	}
	return buf.Bytes(), nil
}

// chart draws c as a PNG image the width of the page, two to a page.
func (w *pdfWriter) chart(c chart, i int) error {
	if c.draw == nil {
		return nil
	}
	// fpdf orders images in the file by pixel width alone, so each chart
	// gets its own resolution to keep the output the same from run to run.
	img := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(pdfChartDPI+i))
	c.draw(draw.New(img))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("rendering chart %s as PNG: %w", c.Name, err)
	}
	// Two charts to a page: at most 66 mm high.
	aspect := float64(chartHeight/vg.Inch) / float64(chartWidth/vg.Inch)
	wd := min(w.width()*0.78, 66/aspect)
	ht := wd * aspect
	if w.GetY()+ht+12 > w.bottom() {
		w.AddPage()
	}
	name := fmt.Sprintf("chart-%d-%s", i, c.Name)
	opt := fpdf.ImageOptions{ImageType: "PNG", ReadDpi: false}
	w.RegisterImageOptionsReader(name, opt, &buf)
	x := pdfMargin + (w.width()-wd)/2
	w.ImageOptions(name, x, w.GetY(), wd, ht, false, opt, 0, "")
	w.SetY(w.GetY() + ht + 1)
	w.SetFont("Helvetica", "", 8.5)
	w.colour(pdfMuted)
	w.MultiCell(0, 4, w.text(c.Title+". "+c.Summary), "", "C", false)
	w.colour(pdfInk)
	w.Ln(3)
	return nil
}

// table draws v with its header repeated on every page it spans. Column
// widths follow their content and are scaled to the page; long cells wrap.
func (w *pdfWriter) table(v tableView) {
	const size, lh, pad = 8.0, 3.8, 1.2
	n := len(v.Columns)
	w.SetFont("Helvetica", "B", size)
	natural := make([]float64, n)
	for i, c := range v.Columns {
		for _, word := range strings.Fields(w.text(c.Head)) {
			natural[i] = max(natural[i], w.GetStringWidth(word)+2*pad)
		}
	}
	w.SetFont("Helvetica", "", size)
	for _, r := range v.Rows {
		for i, c := range r.Cells {
			natural[i] = max(natural[i], min(w.GetStringWidth(w.text(c.Text))+2*pad, 70))
		}
	}
	var total float64
	for _, x := range natural {
		total += x
	}
	widths := make([]float64, n)
	for i := range natural {
		widths[i] = natural[i] * w.width() / total
		if total < w.width()*0.6 { // narrow tables keep their natural widths
			widths[i] = natural[i] * 1.3
		}
	}
	lines := func(s string, wd float64) []string {
		s = w.text(s)
		if s == "" {
			return []string{""}
		}
		return w.SplitText(s, wd-2*pad)
	}
	drawRow := func(cells []string, bold bool, head bool, fill [3]int, hasFill bool) {
		style := ""
		if bold {
			style = "B"
		}
		w.SetFont("Helvetica", style, size)
		split := make([][]string, n)
		h := 0
		for i, s := range cells {
			split[i] = lines(s, widths[i])
			h = max(h, len(split[i]))
		}
		rh := float64(h)*lh + 2*pad
		if w.GetY()+rh > w.bottom() && !head {
			w.AddPage()
			drawHead(w, v, widths, lines, size, lh, pad)
			w.SetFont("Helvetica", style, size)
		}
		x, y := pdfMargin, w.GetY()
		if hasFill {
			w.fill(fill)
			w.Rect(x, y, sum(widths), rh, "F")
		}
		for i, ls := range split {
			align := "L"
			if v.Columns[i].Num {
				align = "R"
			}
			for j, l := range ls {
				w.SetXY(x, y+pad+float64(j)*lh)
				w.CellFormat(widths[i], lh, l, "", 0, align, false, 0, "")
			}
			x += widths[i]
		}
		w.drawColour(pdfRule)
		w.Line(pdfMargin, y+rh, pdfMargin+sum(widths), y+rh)
		w.SetXY(pdfMargin, y+rh)
	}
	// Caption and header together, with room for a few rows.
	w.SetFont("Helvetica", "B", 10)
	if w.GetY()+30 > w.bottom() {
		w.AddPage()
	}
	w.MultiCell(0, 5, w.text(v.Caption), "", "L", false)
	w.Ln(1)
	drawHead(w, v, widths, lines, size, lh, pad)
	for _, r := range v.Rows {
		cells := make([]string, n)
		for i, c := range r.Cells {
			cells[i] = c.Text
		}
		switch r.Class {
		case "flagged":
			drawRow(cells, false, false, pdfWarn, true)
		case "total":
			drawRow(cells, true, false, pdfInk, false)
		default:
			drawRow(cells, false, false, pdfInk, false)
		}
	}
	w.Ln(5)
}

// drawHead draws a table's header row with a heavy rule under it.
func drawHead(w *pdfWriter, v tableView, widths []float64, lines func(string, float64) []string, size, lh, pad float64) {
	w.SetFont("Helvetica", "B", size)
	w.colour(pdfInk)
	h := 0
	split := make([][]string, len(v.Columns))
	for i, c := range v.Columns {
		split[i] = lines(c.Head, widths[i])
		h = max(h, len(split[i]))
	}
	rh := float64(h)*lh + 2*pad
	x, y := pdfMargin, w.GetY()
	for i, ls := range split {
		align := "L"
		if v.Columns[i].Num {
			align = "R"
		}
		for j, l := range ls {
			w.SetXY(x, y+pad+float64(j)*lh)
			w.CellFormat(widths[i], lh, l, "", 0, align, false, 0, "")
		}
		x += widths[i]
	}
	w.drawColour(pdfInk)
	w.SetLineWidth(0.6)
	w.Line(pdfMargin, y+rh, pdfMargin+sum(widths), y+rh)
	w.SetLineWidth(0.2)
	w.SetXY(pdfMargin, y+rh)
}

func sum(xs []float64) (t float64) {
	for _, x := range xs {
		t += x
	}
	return t
}
