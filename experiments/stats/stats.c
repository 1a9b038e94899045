#include "stats.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

comparison_t mcnemar_exact(size_t a_only, size_t b_only, size_t n) {
  comparison_t c = {0};
  if (n == 0) return c.p = 1, c;
  double a = (double)a_only, b = (double)b_only, N = (double)n;
  size_t discordant = a_only + b_only, k = a_only < b_only ? a_only : b_only;
  double nd = (double)discordant, share = nd / N;
  c.difference = (a - b) / N;
  /* Clopper-Pearson on a_only of the discordant items, mapped to a - b */
  double lo = a_only ? gsl_cdf_beta_Pinv(0.025, a, nd - a + 1) : 0.0;
  double hi = a_only < discordant ? gsl_cdf_beta_Pinv(0.975, a + 1, nd - a) : 1.0;
  c.ci_low = discordant ? share * (2 * lo - 1) : 0.0;
  c.ci_high = discordant ? share * (2 * hi - 1) : 0.0;
  c.p = discordant ? fmin(1.0, 2.0 * gsl_cdf_binomial_P((unsigned)k, 0.5, (unsigned)discordant)) : 1.0;
  return c;
}

comparison_t corrected_t(const double *d, size_t J, double n_test, double n_train) {
  comparison_t c = {0};
  if (J < 2) return c.p = 1, c;
  double mean = 0, var = 0;
  for (size_t j = 0; j < J; j++) mean += d[j];
  mean /= (double)J;
  for (size_t j = 0; j < J; j++) var += (d[j] - mean) * (d[j] - mean);
  var /= (double)(J - 1);
  double se = sqrt((1.0 / (double)J + n_test / n_train) * var), dof = (double)(J - 1);
  c.difference = mean;
  if (!(se > 0)) {
    c.ci_low = c.ci_high = mean;
    c.p = mean == 0 ? 1.0 : 0.0;
    return c;
  }
  double t = mean / se, q = gsl_cdf_tdist_Pinv(0.975, dof);
  c.ci_low = mean - q * se, c.ci_high = mean + q * se;
  c.p = 2.0 * gsl_cdf_tdist_Q(fabs(t), dof);
  return c;
}
