package coding

import (
	"fmt"
	"strconv"
	"strings"
)

// Report is what a methods paragraph states: the sample, the coders'
// agreement, the classifier's validation and the correction.
type Report struct {
	// Design and Population describe the probability sample the figures
	// come from.
	Design     Design
	Population int64
	// Classifier is the version string of the classifier validated.
	Classifier string
	// Folds is k when the predictions validated were out-of-fold
	// predictions of a model retrained on the codes (cross-fitting); 0
	// otherwise.
	Folds       int
	Reliability *Reliability
	Validation  *Validation
	// Overall is the corrected whole-story estimate; nil leaves it out,
	// as does a nil Share.
	Overall *Overall
	// Raw is the whole story's predicted counts, for the raw share beside
	// the corrected one.
	Raw Counts
	// Options are the options the figures were computed with.
	Options Options
}

// Methods writes a paragraph a researcher can paste into a paper's
// methods section, with author–year citations, followed by the full
// references it cites.
func Methods(r Report) string {
	o := r.Options.withDefaults()
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	switch r.Design.Strategy {
	case Random:
		w("We hand-coded a simple random sample of %s of the story's %s reactions (seed %d). ",
			count(int64(r.Design.N)), count(r.Population), r.Design.Seed)
	default:
		w("We hand-coded a stratified random sample of %s of the story's %s reactions (seed %d): "+
			"strata were day × the classifier's predicted stance, with the sample allocated across predicted stances "+
			"in proportion to the square root of their size (Bankier, 1988) and across days in proportion to their size, "+
			"so that every stratum could be drawn; estimates weight each item by its inverse inclusion probability "+
			"(Horvitz & Thompson, 1952). ", count(int64(r.Design.N)), count(r.Population), r.Design.Seed)
	}
	if rel := r.Reliability; rel != nil {
		w("In all, %s items were coded as support, criticism or neutral by %s, with a code for unclear items that the "+
			"analysis treats as missing. ", count(int64(rel.NCoded)), coders(len(rel.Coders)))
		if rel.Alpha != nil && rel.AlphaCI != nil {
			w("On the %s items coded by two or more coders, Krippendorff's α (nominal) was %s (95%% CI %s–%s, "+
				"percentile bootstrap over items, %s resamples; Krippendorff, 2011; Hayes & Krippendorff, 2007; Zapf et al., 2016)",
				count(int64(rel.NMulti)), num(*rel.Alpha), num(rel.AlphaCI[0]), num(rel.AlphaCI[1]), count(int64(o.Replicates)))
			if rel.PercentAgreement != nil {
				w(" and percent agreement %s%%", pct(*rel.PercentAgreement))
			}
			w("; disagreements were adjudicated. ")
		} else {
			w("Agreement between coders was not measured: no item has stance codes from two coders. ")
		}
	}
	if v := r.Validation; v != nil {
		w("Against the %s final codes, the classifier", count(int64(v.N)))
		if r.Classifier != "" {
			w(" (version %s)", r.Classifier)
		}
		w(" reached an accuracy of %s (95%% CI %s–%s) and a macro-averaged F1 of %s (%s–%s)",
			num(v.Accuracy), num(v.AccuracyCI[0]), num(v.AccuracyCI[1]), num(v.MacroF1), num(v.MacroF1CI[0]), num(v.MacroF1CI[1]))
		if r.Design.Strategy == Random {
			w(", with bootstrap intervals (Efron & Tibshirani, 1993). ")
		} else {
			w(", estimated for the whole story with the design weights, with bootstrap intervals that resample within " +
				"predicted stances (Efron & Tibshirani, 1993). ")
		}
		if r.Folds > 1 {
			w("Because the classifier was trained on these codes, its error rates were measured on %d-fold out-of-fold "+
				"predictions, each item predicted by a model not trained on it (cross-fitting; Chernozhukov et al., 2018). ", r.Folds)
		}
	}
	w("We corrected the classifier's counts for its measured errors by adjusted classify-and-count (Forman, 2008): "+
		"with M the design-weighted matrix of the probabilities of each predicted stance given the true one, "+
		"the true proportions p of a time bucket solve M p = q for its predicted proportions q, which we solved by least squares "+
		"constrained to proportions between 0 and 1 that sum to 1 (Hopkins & King, 2010; Buonaccorsi, 2010). "+
		"This assumes that the classifier's error rates do not change over time. "+
		"The 95%% interval of each bucket's corrected criticism share, criticism ÷ (support + criticism), is the percentile "+
		"interval over %s draws that combine a bootstrap replicate of M, a draw of q from its posterior under a Jeffreys prior, "+
		"and a draw of the bucket's true counts given both (Gelman et al., 2013), so that it reflects the size of the bucket "+
		"and of the coded sample. ", count(int64(o.Replicates)))
	if ov := r.Overall; ov != nil && ov.Share != nil {
		w("Over the whole story the corrected criticism share was %s (95%% CI %s–%s)", num(*ov.Share), num(*ov.Lo), num(*ov.Hi))
		if d := r.Raw.Support + r.Raw.Criticism; d > 0 {
			w(", against %s from the classifier's labels alone", num(float64(r.Raw.Criticism)/float64(d)))
		}
		w(". ")
	}
	w("Shares are not reported for buckets with fewer than %s support and criticism reactions.", count(int64(o.MinBucket)))

	b.WriteString("\n\nReferences\n")
	for _, ref := range references(r) {
		b.WriteString(ref + "\n")
	}
	return b.String()
}

// references lists, alphabetically, the works a paragraph cites.
func references(r Report) []string {
	var refs []string
	if r.Design.Strategy != Random {
		refs = append(refs,
			"Bankier, M. D. (1988). Power allocations: Determining sample sizes for subnational areas. The American Statistician, 42(3), 174–177.")
	}
	refs = append(refs,
		"Buonaccorsi, J. P. (2010). Measurement Error: Models, Methods, and Applications. Chapman & Hall/CRC.")
	if r.Validation != nil && r.Folds > 1 {
		refs = append(refs,
			"Chernozhukov, V., Chetverikov, D., Demirer, M., Duflo, E., Hansen, C., Newey, W., & Robins, J. (2018). Double/debiased machine learning for treatment and structural parameters. The Econometrics Journal, 21(1), C1–C68.")
	}
	if r.Validation != nil {
		refs = append(refs, "Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.")
	}
	refs = append(refs,
		"Forman, G. (2008). Quantifying counts and costs via classification. Data Mining and Knowledge Discovery, 17(2), 164–206.",
		"Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A., & Rubin, D. B. (2013). Bayesian Data Analysis (3rd ed.). Chapman & Hall/CRC.")
	alpha := r.Reliability != nil && r.Reliability.Alpha != nil
	if alpha {
		refs = append(refs,
			"Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability measure for coding data. Communication Methods and Measures, 1(1), 77–89.")
	}
	refs = append(refs,
		"Hopkins, D. J., & King, G. (2010). A method of automated nonparametric content analysis for social science. American Journal of Political Science, 54(1), 229–247.")
	if r.Design.Strategy != Random {
		refs = append(refs,
			"Horvitz, D. G., & Thompson, D. J. (1952). A generalization of sampling without replacement from a finite universe. Journal of the American Statistical Association, 47(260), 663–685.")
	}
	if alpha {
		refs = append(refs,
			"Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Departmental Papers (ASC), Annenberg School for Communication, University of Pennsylvania.",
			"Zapf, A., Castell, S., Morawietz, L., & Karch, A. (2016). Measuring inter-rater reliability for nominal data – which coefficients and confidence intervals are appropriate? BMC Medical Research Methodology, 16, 93.")
	}
	return refs
}

// num formats a proportion or coefficient with two decimals.
func num(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

// pct formats a proportion as a percentage without decimals.
func pct(x float64) string { return strconv.FormatFloat(100*x, 'f', 0, 64) }

// count formats an integer with thousands separators: 12,345.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// coders spells the number of coders.
func coders(n int) string {
	words := []string{"no coder", "one coder", "two coders", "three coders", "four coders", "five coders", "six coders"}
	if n < len(words) {
		return words[n]
	}
	return strconv.Itoa(n) + " coders"
}
