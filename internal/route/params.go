package route

// Params holds the params a Match extracted. It uses fixed-size arrays so a
// Params on the stack costs no heap allocation; values are substrings of the
// matched path. The zero value is empty and ready to use.
type Params struct {
	names  [MaxParams]string
	values [MaxParams]string
	n      int
}

// Get returns the value of the named param, or "" if there is none.
func (p *Params) Get(name string) string {
	for i := 0; i < p.n; i++ {
		if p.names[i] == name {
			return p.values[i]
		}
	}
	return ""
}

// Len returns the number of params.
func (p *Params) Len() int { return p.n }

// At returns the i'th param in template order. It panics if i is out of
// range [0, Len()).
func (p *Params) At(i int) (name, value string) {
	return p.names[:p.n][i], p.values[:p.n][i]
}

// Reset empties p (and drops its references to the last matched path).
func (p *Params) Reset() { *p = Params{} }

func (p *Params) push(v string) {
	p.values[p.n] = v
	p.n++
}

func (p *Params) pop() {
	p.n--
	p.values[p.n] = ""
}
