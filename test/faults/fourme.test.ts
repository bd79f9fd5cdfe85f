// The fault matrix for 4me: see matrix.ts and cases.ts.
import { defineMatrix } from './matrix';
import { fourMeProfile } from './profiles';

defineMatrix(fourMeProfile);
