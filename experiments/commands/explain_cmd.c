/* genre explain: occlusion and gradient x input maps of a CNN's decisions,
 * or an ANN's feature attributions (experiments/predict/explain.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "model_onnx.h"
#include "predict.h"

static const char about[] =
    "usage: genre explain -m MODEL -o DIR [--segment K] [--label L] FILE\n"
    "       genre explain -m MODEL -o DIR [--segment K] [--label L] --mel OUTDIR/mel/STEM.npy\n"
    "\n"
    "Why the CNN decided, for each 3-s segment of FILE (or --segment K, 0-based):\n"
    "  DIR/STEM.K.occlusion.npy   the drop in the predicted label's log-odds (ln p - ln(1-p),\n"
    "                             nats) when a patch of 16 bands x 10 frames is set to the\n"
    "                             training mean (float32 [128, 130], the patch's value in its cells)\n"
    "  DIR/STEM.K.occlusion_true.npy  the same for the true label, when it is known and\n"
    "                             not the predicted one (--label, or FILE's folder name)\n"
    "  DIR/STEM.K.gradxinput.npy  gradient x input: the log-odds' gradient times x on the\n"
    "                             standardised log-mel (members averaged)\n"
    "  DIR/STEM.K.png             the segment's log-mel with both maps over it (red: for\n"
    "                             the label, blue: against), axes in Hz and seconds\n"
    "\n"
    "With an ANN, the features that moved each segment most, for an audio FILE:\n"
    "  DIR/STEM.features.csv      segment,start,end,label,p,rank,feature,value,training_mean,\n"
    "                             attribution: every feature ranked by |attribution|, the\n"
    "                             gradient of the label's log-odds times (value - training\n"
    "                             mean), members averaged (positive: towards the label)\n"
    "\n";

int explain_main(int argc, char **argv) {
  explain_args_t a = {.segment = -1};
  const char *model = NULL, *labels = NULL;
  const cli_option_t opts[] = {
      OPT_STRING('m', "model", &model, "MODEL", "a CNN or an ANN: a model file, or an ONNX graph of one"),
      OPT_STRING('o', "output", &a.out, "DIR", "where to write (created if needed)"),
      OPT_INT(0, "segment", &a.segment, 0, 1 << 20, "K", "only segment K (0-based; default: every one)"),
      OPT_STRING(0, "label", &a.label, "L", "the true label (default: FILE's folder, when it is a class)"),
      OPT_STRING(0, "mel", &a.mel, "FILE.npy", "log-mels as extract wrote them, instead of an audio FILE"),
      OPT_STRING(0, "labels", &labels, "L1,L2,...", "an ONNX graph's classes when it has no card"),
      OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  int help, first = cli_parse("explain", argc, argv, tables, &help);
  if (help) return fputs(about, stdout), cli_help(stdout, tables), 0;
  if (first >= 0 && (!model || !a.out || (a.mel ? first != argc : first != argc - 1))) {
    fprintf(stderr, "genre explain: -m MODEL, -o DIR and one FILE (or --mel FILE.npy) are required\n");
    first = -1, cli_usage_hint("explain");
  }
  if (first < 0) return 1;
  a.input = a.mel ? NULL : argv[first];
  if (cli_args_only) return 0;
  model_t m;
  int got;
  char err[1500];
  if (model_open(model, labels, 128, &m, 1, &got, err, sizeof err)) return fprintf(stderr, "genre explain: %s\n", err), 1;
  int rc = 1;
  if (m.kind != MODEL_CNN && m.kind != MODEL_ANN)
    fprintf(stderr, "genre explain: %s: explain reads an ANN or a CNN (gradients and occlusion), not a %s model\n",
            model, m.kind == MODEL_KNN ? "kNN" : "foreign");
  else rc = explain_run(&a, &m);
  model_free(&m);
  return rc;
}
