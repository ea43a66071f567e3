package match

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

func TestRecordIndex(t *testing.T) {
	var ids []string
	for i := range 50000 {
		ids = append(ids, "gp/patients/"+strconv.Itoa(i*7919%100003))
	}
	x, err := newRecordIndex(ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if j, ok := x.find(id); !ok || int(j) != i {
			t.Fatalf("find(%q) = %d, %v; want %d", id, j, ok, i)
		}
	}
	for _, id := range []string{"", "gp/patients/", "gp/patients/100003", "acute/patients/0"} {
		if j, ok := x.find(id); ok {
			t.Errorf("find(%q) = %d for an id not indexed", id, j)
		}
	}
	dup := append(ids[:1000:1000], "a", "b", ids[500])
	if _, err := newRecordIndex(dup); err == nil || !strings.Contains(err.Error(), strconv.Quote(ids[500])+" appears twice") {
		t.Errorf("duplicate id: err = %v", err)
	}
}

func TestMatchRejectsDuplicateIDs(t *testing.T) {
	recs := []Record{
		person("a", nhs(1), "ANN", "SMITH", "1980-01-02", "F", "LS1 4AP"),
		person("b", nhs(2), "BOB", "JONES", "1970-03-04", "M", "LS2 7AB"),
		person("a", nhs(3), "CAT", "BROWN", "1990-05-06", "F", "LS3 1XY"),
	}
	if _, err := Match(context.Background(), DefaultModel(), recs, Options{}); err == nil || !strings.Contains(err.Error(), `"a" appears twice`) {
		t.Errorf("err = %v, want the duplicate id named", err)
	}
}
