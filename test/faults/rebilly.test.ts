// The fault matrix for Rebilly: see matrix.ts and cases.ts.
import { defineMatrix } from './matrix';
import { rebillyProfile } from './profiles';

defineMatrix(rebillyProfile);
