// uPlot is inlined into the page as its IIFE build, which defines the global `uPlot`.
import type UPlot from 'uplot';

declare global {
  const uPlot: typeof UPlot;
}
