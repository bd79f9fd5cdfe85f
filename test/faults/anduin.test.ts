// The fault matrix for Anduin IDM: see matrix.ts and cases.ts.
import { defineMatrix } from './matrix';
import { anduinProfile } from './profiles';

defineMatrix(anduinProfile);
