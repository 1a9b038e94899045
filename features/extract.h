/* `genre extract`: audio files to the GTZAN-schema feature tables and log-mel
 * spectrograms. */
#ifndef GENRE_EXTRACT_H
#define GENRE_EXTRACT_H

#define SEGMENT_SAMPLES 66150 /* 3.0 s at 22050 Hz */
#define SEGMENT_FRAMES 130    /* 1 + 66150 / 512 */

/* Exit status: 0 all inputs processed, 2 some failed (outputs written),
 * 1 nothing usable or a usage / output error. */
int extract_main(int argc, char **argv);

#endif
