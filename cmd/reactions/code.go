package main

import (
	"context"
	"fmt"
	"io"

	"github.com/reactions-research/reactions/reaction"
)

func init() {
	register(command{
		name:    "code",
		summary: "hand-code a story: sample --story ID --n N --out FILE.csv | import --story ID --coder NAME --file FILE.csv | export --story ID | report --story ID [--json]",
		run:     runCode,
	})
}

const codeUsage = `Usage:
  reactions code sample --story ID --n N --out FILE.csv [--seed S] [--strategy stratified|random|uncertain]
                        [--from T] [--to T] [--platform P] [--name NAME] [--overlap SHARE]
      draw a reproducible sample of the story's reactions, record it, and write the coding
      sheet (id,platform,created_at,url,text,code; never the classifier's label) and the
      codebook beside it (FILE.csv.codebook.txt)
  reactions code import --story ID --coder NAME --file FILE.csv
      store a coder's codes (columns id and code: support, criticism, neutral, unclear
      or 1, 2, 3, 0; other columns ignored); nothing is stored when a line is bad
  reactions code export --story ID [--out FILE] [--format csv|json]
      write every code ever given, every revision, with its coder and time
  reactions code report --story ID [--json] [--sample NAME]… [--min-bucket N]
      agreement (Krippendorff's alpha, Cohen's kappa), the classifier against the final
      codes, the corrected shares, and a methods paragraph for a paper

Flags: reactions code SUBCOMMAND -h lists the flags of each.
`

func runCode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, codeUsage)
		return usageErrorf("missing subcommand (sample, import, export or report)")
	}
	switch args[0] {
	case "sample":
		return codeSample(ctx, args[1:], stdout, stderr)
	case "import":
		return codeImport(ctx, args[1:], stdout, stderr)
	case "export":
		return codeExport(ctx, args[1:], stdout, stderr)
	case "report":
		return codeReport(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, codeUsage)
		return nil
	}
	fmt.Fprint(stderr, codeUsage)
	return usageErrorf("unknown subcommand %q (want sample, import, export or report)", args[0])
}

// checkStoryFlag checks a required --story flag.
func checkStoryFlag(id string) error {
	switch {
	case id == "":
		return usageErrorf("--story ID is required")
	case !reaction.ValidStoryID(id):
		return usageErrorf("--story %q is not a story id (lowercase letters, digits and '-')", id)
	}
	return nil
}
