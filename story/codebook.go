package story

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Codebook tells coders what each code means: the general instructions and,
// per code, a definition and examples. Coders see it beside every item.
// In a story file:
//
//	codebook:
//	  instructions: Code the stance toward Chrissy Teigen and John Legend …
//	  support:
//	    definition: Sympathy, condolence, praise or defence of the subject …
//	    examples: ["I'm so so sorry", "the people hating on her are vile"]
//	  criticism: {definition: …, examples: […]}
//	  neutral: {definition: …, examples: […]}
//	  unclear: {definition: …}
//
// When a story has no codebook, DefaultCodebook (the labelling rule of the
// README) applies. A codebook given in the file must define support,
// criticism and neutral; instructions and unclear default to
// DefaultCodebook's.
type Codebook struct {
	// Instructions is the rule coders read first. Default: the README's.
	Instructions string    `yaml:"instructions,omitempty" json:"instructions,omitempty"`
	Support      *CodeDef  `yaml:"support,omitempty" json:"support,omitempty"`
	Criticism    *CodeDef  `yaml:"criticism,omitempty" json:"criticism,omitempty"`
	Neutral      *CodeDef  `yaml:"neutral,omitempty" json:"neutral,omitempty"`
	Unclear      *CodeDef  `yaml:"unclear,omitempty" json:"unclear,omitempty"`
	lines        codeLines // where each part starts in the file (0: not from a file)
}

// CodeDef defines one code.
type CodeDef struct {
	// Definition says when to give the code. Required.
	Definition string `yaml:"definition" json:"definition"`
	// Examples are short texts that take the code; optional.
	Examples []string `yaml:"examples,omitempty" json:"examples,omitempty"`
}

type codeLines struct {
	codebook, support, criticism, neutral, unclear int
}

// DefaultInstructions is the labelling rule of the README, the coders'
// instructions when a story's codebook gives none.
const DefaultInstructions = "Code each reaction's stance toward the story's subject (the people named in its subject), " +
	"not its sentiment or tone: sadness about the subject's loss is support, anger at the subject's critics is support " +
	"(defence), and a polite remark that the subject was wrong is criticism. Judge what the reaction says about the subject, " +
	"as a reader of the thread would understand it; read the quoted text and the context it answers only as far as the " +
	"reaction itself shows. Code the author's own stance: a reaction that quotes a critic in order to reject the critic is support."

// DefaultCodebook returns the codebook of a story file without one: the
// labelling rule of the README ("Stance labels: what they are").
func DefaultCodebook() Codebook {
	return Codebook{
		Instructions: DefaultInstructions,
		Support: &CodeDef{
			Definition: "The reaction sides with the subject: sympathy, condolence, thanks, praise or respect for the subject, " +
				"or defence of the subject, including attacks on the subject's critics.",
			Examples: []string{"I'm so so sorry for your loss.", "The people hating on her are vile.",
				"Thank you for sharing this, it helps others who went through the same."},
		},
		Criticism: &CodeDef{
			Definition: "The reaction disapproves of the subject or of what the subject did: blame, mockery, sarcasm, " +
				"questioning the subject's motives, or saying the subject should not have done it.",
			Examples: []string{"So brave to share this with 30 million followers 🙄", "With respect, this should have stayed private.",
				"Grief as content. Of course."},
		},
		Neutral: &CodeDef{
			Definition: "The reaction takes no side toward the subject: news, facts, neutral questions, " +
				"or talk about something other than the subject.",
			Examples: []string{"Chrissy Teigen and John Legend announce the loss of their baby son.", "Which hospital was this at?"},
		},
		Unclear: &CodeDef{
			Definition: "You cannot tell the stance: the text is empty or deleted, in a language you cannot read, " +
				"or it reads equally well as support and as criticism. Use it sparingly: unclear items are left out of every figure.",
		},
	}
}

// Or returns the story's codebook with the defaults filled in, or
// DefaultCodebook when the story has none.
func (c *Codebook) Or() Codebook {
	d := DefaultCodebook()
	if c == nil {
		return d
	}
	out := *c
	if strings.TrimSpace(out.Instructions) == "" {
		out.Instructions = d.Instructions
	}
	if out.Unclear == nil {
		out.Unclear = d.Unclear
	}
	return out
}

// codebookKeys and codeDefKeys are the keys a codebook and a code
// definition may hold.
var (
	codebookKeys = []string{"instructions", "support", "criticism", "neutral", "unclear"}
	codeDefKeys  = []string{"definition", "examples"}
)

// UnmarshalYAML reads a codebook, refusing unknown keys with their line
// (a nested node decodes without the file's KnownFields) and remembering
// where each code starts for Validate's messages.
func (c *Codebook) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return typeErr(n.Line, "codebook must be a map of instructions, support, criticism, neutral and unclear")
	}
	*c = Codebook{lines: codeLines{codebook: n.Line}}
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "instructions":
			if v.Kind != yaml.ScalarNode {
				errs = append(errs, fmt.Sprintf("line %d: codebook.instructions must be text", v.Line))
				continue
			}
			c.Instructions = v.Value
		case "support", "criticism", "neutral", "unclear":
			d := &CodeDef{}
			if err := d.decode(v, "codebook."+k.Value); err != nil {
				errs = append(errs, err.Error())
				continue
			}
			switch k.Value {
			case "support":
				c.Support, c.lines.support = d, k.Line
			case "criticism":
				c.Criticism, c.lines.criticism = d, k.Line
			case "neutral":
				c.Neutral, c.lines.neutral = d, k.Line
			case "unclear":
				c.Unclear, c.lines.unclear = d, k.Line
			}
		default:
			errs = append(errs, fmt.Sprintf("line %d: unknown key %q in codebook (use %s)", k.Line, k.Value, strings.Join(codebookKeys, ", ")))
		}
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

func (d *CodeDef) decode(n *yaml.Node, field string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s must be a map with definition and examples", n.Line, field)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "definition":
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: %s.definition must be text", v.Line, field)
			}
			d.Definition = v.Value
		case "examples":
			switch v.Kind {
			case yaml.ScalarNode:
				d.Examples = []string{v.Value}
			case yaml.SequenceNode:
				for _, e := range v.Content {
					if e.Kind != yaml.ScalarNode {
						return fmt.Errorf("line %d: %s.examples must be a list of texts", e.Line, field)
					}
					d.Examples = append(d.Examples, e.Value)
				}
			default:
				return fmt.Errorf("line %d: %s.examples must be a list of texts", v.Line, field)
			}
		default:
			return fmt.Errorf("line %d: unknown key %q in %s (use %s)", k.Line, k.Value, field, strings.Join(codeDefKeys, ", "))
		}
	}
	return nil
}

func typeErr(line int, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", line) + fmt.Sprintf(format, args...)}}
}

// validate checks a codebook: the three stances defined, each definition
// and example non-empty. Messages name the field and, for a codebook read
// from a file, its line.
func (c *Codebook) validate(ps *problems) {
	at := func(field string, line int) string {
		if line > 0 {
			return fmt.Sprintf("%s (line %d)", field, line)
		}
		return field
	}
	c.Instructions = strings.TrimSpace(c.Instructions)
	defs := []struct {
		name     string
		d        *CodeDef
		line     int
		required bool
	}{
		{"support", c.Support, c.lines.support, true},
		{"criticism", c.Criticism, c.lines.criticism, true},
		{"neutral", c.Neutral, c.lines.neutral, true},
		{"unclear", c.Unclear, c.lines.unclear, false},
	}
	for _, x := range defs {
		field := "codebook." + x.name
		if x.d == nil {
			if x.required {
				field := "codebook"
				if c.lines.codebook > 0 {
					field = fmt.Sprintf("codebook (from line %d)", c.lines.codebook)
				}
				ps.add(field, "%s is missing: a codebook defines support, criticism and neutral (unclear is optional)", x.name)
			}
			continue
		}
		x.d.Definition = strings.TrimSpace(x.d.Definition)
		if x.d.Definition == "" {
			ps.add(at(field, x.line), "definition is missing (say when coders give this code)")
		}
		kept := x.d.Examples[:0]
		for i, e := range x.d.Examples {
			if e = strings.TrimSpace(e); e == "" {
				ps.add(at(fmt.Sprintf("%s.examples[%d]", field, i), x.line), "empty example")
				continue
			}
			kept = append(kept, e)
		}
		x.d.Examples = kept
	}
}
