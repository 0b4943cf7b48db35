import { Box, CssBaseline, Typography } from '@mui/material';

export function App() {
  return (
    <>
      <CssBaseline />
      <Box sx={{ p: 4 }}>
        <Typography variant="h4">Defect Workbench</Typography>
        <Typography sx={{ mt: 2 }}>
          The project store and import are ready; use the dwb command line to create a project and import images.
        </Typography>
      </Box>
    </>
  );
}
