package dataset

import (
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

// readParquet reads the top-level scalar columns of every row group.
func (d *Dataset) readParquet(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return fmt.Errorf("%s: not a readable Parquet file: %w", path, err)
	}
	leaves := pf.Schema().Columns() // leaf paths in column-index order
	rowNum := 0
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		buf := make([]parquet.Row, 64)
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				rowNum++
				m := map[string]any{}
				for _, v := range row {
					c := v.Column()
					if c < 0 || c >= len(leaves) || len(leaves[c]) != 1 || v.IsNull() {
						continue
					}
					switch v.Kind() {
					case parquet.ByteArray, parquet.FixedLenByteArray:
						m[leaves[c][0]] = string(v.ByteArray())
					case parquet.Int32:
						m[leaves[c][0]] = float64(v.Int32())
					case parquet.Int64:
						m[leaves[c][0]] = float64(v.Int64())
					case parquet.Float:
						m[leaves[c][0]] = float64(v.Float())
					case parquet.Double:
						m[leaves[c][0]] = v.Double()
					case parquet.Boolean:
						m[leaves[c][0]] = v.Boolean()
					}
				}
				if rowErr := d.add(m); rowErr != nil {
					if !d.Opts.SkipBad {
						rows.Close()
						return fmt.Errorf("%s: row %d: %v (use skip_bad to skip and count malformed rows)", path, rowNum, rowErr)
					}
					d.Bad++
				}
			}
			if err == io.EOF {
				rows.Close()
				break
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("%s: reading rows after row %d: %w", path, rowNum, err)
			}
		}
	}
	return nil
}
