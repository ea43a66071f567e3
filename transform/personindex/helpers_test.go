package personindex

import (
	"os"
	"path/filepath"
)

func removeMarker(lake, run string) error {
	return os.Remove(filepath.Join(lake, Dir(run), "_SUCCESS"))
}
