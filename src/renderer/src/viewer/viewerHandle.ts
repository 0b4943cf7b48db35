// What the workspace may ask of the image view (the labelling studio) from its keyboard commands.
export interface ViewerHandle {
  fit(): void;
  actualSize(): void;
}
