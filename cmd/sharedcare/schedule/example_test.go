package schedule_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/schedule"
)

// NextRuns is what `sharedcare status` shows. On the night the clocks go
// forward, 01:30 does not exist in London and the nightly run happens at
// 02:00 BST instead.
func ExampleDaemon_NextRuns() {
	london, _ := time.LoadLocation("Europe/London")
	noop := func(context.Context, string, time.Time) error { return nil }
	d, err := schedule.New([]schedule.Job{
		{Name: "nightly", Spec: "30 1 * * *", Run: noop},
		{Name: "board-report", Spec: "0 6 1 * *", Run: noop},
	}, london, nil, schedule.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	next := d.NextRuns(time.Date(2026, 3, 28, 12, 0, 0, 0, london))
	fmt.Println("nightly:", next["nightly"])
	fmt.Println("board-report:", next["board-report"])
	// Output:
	// nightly: 2026-03-29 02:00:00 +0100 BST
	// board-report: 2026-04-01 06:00:00 +0100 BST
}
