// The fault matrix for Mews: see matrix.ts and cases.ts.
import { defineMatrix } from './matrix';
import { mewsProfile } from './profiles';

defineMatrix(mewsProfile);
