// Package coding is the statistics of hand-coding a story's reactions: it
// draws the samples coders see, measures how far coders agree, validates the
// classifier against their codes, and corrects the classifier's aggregate
// shares for its measured errors, with intervals. It does no I/O: the store
// streams candidates in and records what it returns.
//
// The methods and their references:
//   - Draw: stratified sampling with power allocation (Bankier 1988) and
//     unbiased systematic rounding, so every item's inclusion probability π
//     is known and estimates use design weights 1/π (Horvitz & Thompson
//     1952; Särndal, Swensson & Wretman 1992).
//   - Agree: Krippendorff's α for nominal data from the coincidence matrix
//     (Krippendorff 2011), with a bootstrap over units (a variant of Hayes &
//     Krippendorff 2007, see Agree); Cohen's κ per coder pair (Cohen 1960).
//   - Validate: design-weighted confusion matrix and metrics with stratified
//     bootstrap intervals (Efron & Tibshirani 1993; Rao & Wu 1988).
//   - Corrector: adjusted classify-and-count (Forman 2008), solved as
//     constrained least squares on the simplex (Hopkins & King 2010;
//     Buonaccorsi 2010 on misclassification), with intervals for the share
//     among a bucket's reactions that join bootstrap replicates of the
//     error rates, a Jeffreys–Dirichlet posterior for the bucket's
//     predicted shares and a draw of its true counts (Gelman et al. 2013).
//   - Fold: cross-fitting folds, so that error rates after a retraining
//     come from items the model was not trained on.
//   - Methods: a methods paragraph with its references.
//
// The code "unclear" (key 0) is not a stance: every statistic here treats
// it as a missing value.
package coding
