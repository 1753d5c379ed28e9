// Hindi first, English one click away: every string the console shows is in locales/*.json
// (services/console/src/locales.spec.ts fails on a key missing in either file).
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from '../locales/en.json';
import hi from '../locales/hi.json';

export const LANGUAGES = ['hi', 'en'] as const;
export type AppLanguage = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'prasar.console.language';

function initialLanguage(): AppLanguage {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  return saved === 'en' ? 'en' : 'hi';
}

/** Sets the document's language (screen readers, hyphenation, fonts) with the app's. */
function applyLanguage(language: string) {
  document.documentElement.lang = language;
  document.title = i18n.t('app.title');
}

export function setLanguage(language: AppLanguage) {
  globalThis.localStorage?.setItem(STORAGE_KEY, language);
  return i18n.changeLanguage(language);
}

i18n.on('languageChanged', applyLanguage);

void i18n.use(initReactI18next).init({
  resources: { hi: { translation: hi }, en: { translation: en } },
  lng: initialLanguage(),
  fallbackLng: false,
  interpolation: { escapeValue: false },
  returnNull: false,
});

export default i18n;
