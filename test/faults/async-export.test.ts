// The fault matrix for the Async Export (HTTP) node, set up for HubSpot CRM exports: see matrix.ts and cases.ts.
import { defineMatrix } from './matrix';
import { asyncExportProfile } from './profiles';

defineMatrix(asyncExportProfile);
