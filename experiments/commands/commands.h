/* bin/genre's commands, git's builtins: each parses its options (cli.h's
 * tables) and calls the machinery of the rooms below. Each returns its exit status. */
#ifndef GENRE_COMMANDS_H
#define GENRE_COMMANDS_H

int train_main(int argc, char **argv);    /* genre train ann|cnn */
int evaluate_main(int argc, char **argv); /* genre evaluate */
int cv_main(int argc, char **argv);       /* genre cv ann|cnn */
int experiment_main(int argc, char **argv); /* genre experiment */
int folds_main(int argc, char **argv);      /* genre folds */
int predict_main(int argc, char **argv);    /* genre predict */
int extract_main(int argc, char **argv);    /* genre extract */
int synth_main(int argc, char **argv);      /* genre synth */
int export_main(int argc, char **argv);     /* genre export */
int embed_main(int argc, char **argv);      /* genre embed */
int explain_main(int argc, char **argv);    /* genre explain */
int info_main(int argc, char **argv);       /* genre info */

/* genre train KIND [options] on a dataset already in memory (the Python
 * package's fit): --features/--mel name it in the model's record of its
 * training, nothing is read. The kind's view of a dataset_t (features) or
 * mel_dataset_t (spectrograms). */
struct kind_data;
int train_given(int argc, char **argv, const struct kind_data *given);

/* genre <command> [args]: runs the command argv[1] names, or prints help. */
int genre_dispatch(int argc, char **argv);

#endif
