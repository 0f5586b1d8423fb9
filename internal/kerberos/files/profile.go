package files

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// The profile syntax of krb5.conf(5): "[section]" headers, "tag = value"
// relations, "tag = { ... }" subsections, "#" and ";" comments, a "*"
// after a section name or closing brace that marks it final, and the
// top-level "include FILE" and "includedir DIR" directives.

// maxIncludeDepth bounds nested includes, so a file that includes itself
// is an error rather than a loop.
const maxIncludeDepth = 8

// maxProfileSize bounds one profile file.
const maxProfileSize = 1 << 20

// node is one relation: a value, or a group of relations.
type node struct {
	name     string
	value    string
	children []*node
	group    bool
	final    bool
}

// profile is the merged relations of every file, sections in the order
// the files gave them.
type profile struct {
	sections []*node
}

func (p *profile) parseFile(path string, depth int) error {
	if depth > maxIncludeDepth {
		return errorf("%s: includes nested deeper than %d", path, maxIncludeDepth)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() > maxProfileSize {
		return errorf("%s is larger than %d bytes", path, maxProfileSize)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return err
	}
	return p.parse(path, buf.Bytes(), depth)
}

func (p *profile) parse(name string, data []byte, depth int) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxProfileSize)
	var section *node
	var stack []*node // open groups inside the section
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		bad := func(msg string) error { return errorf("%s:%d: %s", name, lineNo, msg) }
		if len(stack) == 0 {
			if dir, ok := strings.CutPrefix(line, "includedir"); ok && (dir == "" || dir[0] == ' ' || dir[0] == '\t') {
				if err := p.includeDir(strings.TrimSpace(dir), depth); err != nil {
					return err
				}
				continue
			}
			if file, ok := strings.CutPrefix(line, "include"); ok && (file == "" || file[0] == ' ' || file[0] == '\t') {
				if err := p.parseFile(strings.TrimSpace(file), depth+1); err != nil {
					return err
				}
				continue
			}
			if strings.HasPrefix(line, "module") {
				return bad("profile modules are not supported")
			}
		}
		if line[0] == '[' {
			if len(stack) != 0 {
				return bad("section header inside a { } group")
			}
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return bad("section header without ]")
			}
			rest := strings.TrimSpace(line[end+1:])
			if rest != "" && rest != "*" {
				return bad("text after a section header")
			}
			section = &node{name: strings.TrimSpace(line[1:end]), group: true, final: rest == "*"}
			p.sections = append(p.sections, section)
			continue
		}
		if section == nil {
			return bad("relation outside any section")
		}
		parent := section
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		if line[0] == '}' {
			if len(stack) == 0 {
				return bad("} without {")
			}
			rest := strings.TrimSpace(line[1:])
			if rest != "" && rest != "*" {
				return bad("text after }")
			}
			parent.final = rest == "*"
			stack = stack[:len(stack)-1]
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq <= 0 {
			return bad("expected tag = value")
		}
		tag := strings.TrimSpace(line[:eq])
		val := strings.TrimSpace(line[eq+1:])
		if strings.HasSuffix(tag, "*") {
			tag = strings.TrimSpace(strings.TrimSuffix(tag, "*"))
		}
		if val == "{" {
			if len(stack) == 8 {
				return bad("groups nested too deep")
			}
			g := &node{name: tag, group: true}
			parent.children = append(parent.children, g)
			stack = append(stack, g)
			continue
		}
		v, err := unquote(val)
		if err != nil {
			return bad(err.Error())
		}
		parent.children = append(parent.children, &node{name: tag, value: v})
	}
	if err := sc.Err(); err != nil {
		return errorf("%s: %v", name, err)
	}
	if len(stack) != 0 {
		return errorf("%s: %d unclosed { groups", name, len(stack))
	}
	return nil
}

// includeDir parses the files of dir MIT would: names made only of
// letters, digits, "-" and "_", or ending in ".conf", in sorted order.
func (p *profile) includeDir(dir string, depth int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !includable(e.Name()) {
			continue
		}
		if err := p.parseFile(filepath.Join(dir, e.Name()), depth+1); err != nil {
			return err
		}
	}
	return nil
}

func includable(name string) bool {
	if strings.HasSuffix(name, ".conf") {
		return true
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return name != ""
}

// unquote handles MIT's double-quoted values with \n \t \b \\ escapes;
// unquoted values are taken as they are.
func unquote(v string) (string, error) {
	if len(v) == 0 || v[0] != '"' {
		return v, nil
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"':
			if strings.TrimSpace(v[i+1:]) != "" {
				return "", errorf("text after a quoted value")
			}
			return b.String(), nil
		case c == '\\' && i+1 < len(v):
			i++
			switch v[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'b':
				b.WriteByte('\b')
			default:
				b.WriteByte(v[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", errorf("unterminated quoted value")
}

// values returns every value at a path of names, across all files, first
// file first; "first value wins" callers take [0]. A final ("*") section
// or group stops later files from adding to it, as in MIT's profile
// library.
func (p *profile) values(path ...string) []string {
	var out []string
	for _, s := range p.sections {
		if s.name != path[0] {
			continue
		}
		out = append(out, collect(s, path[1:])...)
		if s.final {
			break
		}
	}
	return out
}

func collect(n *node, path []string) []string {
	if len(path) == 0 {
		return nil
	}
	var out []string
	for _, c := range n.children {
		if c.name != path[0] {
			continue
		}
		if len(path) == 1 && !c.group {
			out = append(out, c.value)
		} else if len(path) > 1 && c.group {
			out = append(out, collect(c, path[1:])...)
		}
	}
	return out
}

// names lists the relation names directly under a path (e.g. the realms).
func (p *profile) names(path ...string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(n *node) {
		for _, c := range n.children {
			if !seen[c.name] {
				seen[c.name] = true
				out = append(out, c.name)
			}
		}
	}
	for _, s := range p.sections {
		if s.name != path[0] {
			continue
		}
		var walk func(n *node, rest []string)
		walk = func(n *node, rest []string) {
			if len(rest) == 0 {
				add(n)
				return
			}
			for _, c := range n.children {
				if c.group && c.name == rest[0] {
					walk(c, rest[1:])
				}
			}
		}
		walk(s, path[1:])
	}
	return out
}
