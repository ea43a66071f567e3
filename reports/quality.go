package reports

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// sourceQuality is one row of marts.data_quality.
type sourceQuality struct {
	RunID, Source, System, Entity       string
	Read, Landed, Rejected              int64
	PersonRecords, NHSPresent, NHSValid int64
	Matched                             int64
	Finished                            time.Time
}

// rejectCount is one row of meta.reject_counts.
type rejectCount struct {
	Source, Entity, Reason string
	Records                int64
}

func loadQuality(ctx context.Context, db *sql.DB) ([]sourceQuality, []rejectCount, error) {
	const name = "board_data_quality"
	rows, err := query(ctx, db, name)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var qs []sourceQuality
	for rows.Next() {
		var q sourceQuality
		if err := rows.Scan(&q.RunID, &q.Source, &q.System, &q.Entity, &q.Read, &q.Landed, &q.Rejected,
			&q.PersonRecords, &q.NHSPresent, &q.NHSValid, &q.Matched, &q.Finished); err != nil {
			return nil, nil, fmt.Errorf("reading %s row %d: %w", name, len(qs)+1, err)
		}
		qs = append(qs, q)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", name, err)
	}
	const rname = "board_rejects"
	rrows, err := query(ctx, db, rname)
	if err != nil {
		return nil, nil, err
	}
	defer rrows.Close()
	var rs []rejectCount
	for rrows.Next() {
		var r rejectCount
		if err := rrows.Scan(&r.Source, &r.Entity, &r.Reason, &r.Records); err != nil {
			return nil, nil, fmt.Errorf("reading %s row %d: %w", rname, len(rs)+1, err)
		}
		rs = append(rs, r)
	}
	if err := rrows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", rname, err)
	}
	return qs, rs, nil
}

// qualitySection is what the data quality section shows.
type qualitySection struct {
	Sources, Rejects tableView
	Freshness        string
	AnyRejects       bool
}

// qualityTables builds the data quality tables. They count records, not
// people's use of the record, and are not under disclosure control.
func qualityTables(qs []sourceQuality, rs []rejectCount) ([]*table, qualitySection) {
	src := &table{
		Name:    "data_quality",
		Caption: "Records by source and entity in the run that built the warehouse",
		Columns: []column{
			{Head: "Source", CSV: "source"}, {Head: "Entity", CSV: "entity"},
			{Head: "Read", CSV: "records_read", Num: true},
			{Head: "Landed", CSV: "records_landed", Num: true},
			{Head: "Rejected", CSV: "records_rejected", Num: true},
			{Head: "Rejected %", CSV: "reject_rate", Num: true},
			{Head: "Person records", CSV: "person_records", Num: true},
			{Head: "NHS number present", CSV: "nhs_number_completeness", Num: true},
			{Head: "NHS number valid", CSV: "nhs_number_validity", Num: true},
			{Head: "Match rate", CSV: "match_rate", Num: true},
		},
	}
	none := disclosure{}
	var sec qualitySection
	var tRead, tLanded, tRejected, tPersons, tPresent, tValid, tMatched int64
	for _, q := range qs {
		src.Rows = append(src.Rows, row{Cells: []cell{
			{Text: q.Source, Raw: q.Source}, {Text: q.Entity, Raw: q.Entity},
			none.count(q.Read), none.count(q.Landed), none.count(q.Rejected), none.share(q.Rejected, q.Read),
			none.count(q.PersonRecords), none.share(q.NHSPresent, q.PersonRecords), none.share(q.NHSValid, q.PersonRecords),
			none.share(q.Matched, q.PersonRecords),
		}})
		tRead, tLanded, tRejected = tRead+q.Read, tLanded+q.Landed, tRejected+q.Rejected
		tPersons, tPresent, tValid, tMatched = tPersons+q.PersonRecords, tPresent+q.NHSPresent, tValid+q.NHSValid, tMatched+q.Matched
		if sec.Freshness == "" {
			sec.Freshness = fmt.Sprintf("Figures are from extract run %s, which finished %s.", q.RunID, generatedLabel(q.Finished))
		}
	}
	if len(qs) > 0 {
		src.Rows = append(src.Rows, row{Class: "total", Cells: []cell{
			{Text: "All sources", Raw: "all"}, {Text: "", Raw: ""},
			none.count(tRead), none.count(tLanded), none.count(tRejected), none.share(tRejected, tRead),
			none.count(tPersons), none.share(tPresent, tPersons), none.share(tValid, tPersons), none.share(tMatched, tPersons),
		}})
	} else {
		sec.Freshness = "The warehouse records no extract run."
	}
	rej := &table{
		Name:    "rejects",
		Caption: "Records rejected by reason",
		Columns: []column{
			{Head: "Source", CSV: "source"}, {Head: "Entity", CSV: "entity"},
			{Head: "Reason", CSV: "reason"}, {Head: "Records", CSV: "records", Num: true},
		},
	}
	for _, r := range rs {
		rej.Rows = append(rej.Rows, row{Cells: []cell{
			{Text: r.Source, Raw: r.Source}, {Text: r.Entity, Raw: r.Entity}, {Text: r.Reason, Raw: r.Reason}, none.count(r.Records),
		}})
	}
	sec.AnyRejects = len(rs) > 0
	sec.Sources, sec.Rejects = src.view(), rej.view()
	return []*table{src, rej}, sec
}
