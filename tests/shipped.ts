/** The models shipped in models/: every test that checks shipped artefacts iterates this list. */
export const SHIPPED_MODELS = ["default", "large"] as const;
