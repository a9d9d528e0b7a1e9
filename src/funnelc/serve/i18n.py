"""The page's own labels in the account's language (`account … { language ru }`):
Russian, Ukrainian or English. Diagnostics stay English, as everywhere in funnelc; the
names in the file are the file's."""

from __future__ import annotations

from .. import model as m

__all__ = ["LANGUAGES", "language_of", "labels"]

LANGUAGES = ("en", "ru", "uk")

_LABELS: dict[str, tuple[str, str, str]] = {
    # key: (en, ru, uk)
    "title": ("Workshop", "Мастерская воронки", "Майстерня воронки"),
    "save": ("Save", "Сохранить", "Зберегти"),
    "saved": ("Saved", "Сохранено", "Збережено"),
    "unsaved": ("Unsaved changes", "Есть несохраненные изменения", "Є незбережені зміни"),
    "diagram": ("Diagram", "Схема", "Схема"),
    "figures": ("Exact figures", "Точный расчет", "Точний розрахунок"),
    "whatif": ("What if", "Что если", "Що якщо"),
    "simulation": ("Simulation", "Симуляция", "Симуляція"),
    "export": ("Export", "Экспорт", "Експорт"),
    "run": ("Run simulation", "Запустить симуляцию", "Запустити симуляцію"),
    "cancel": ("Cancel", "Отменить", "Скасувати"),
    "stale": ("Stale: the text changed since this run", "Устарело: текст изменился после запуска",
              "Застаріло: текст змінився після запуску"),
    "graveyard": ("graveyard", "кладбище", "кладовище"),
    "no_graveyard": ("no graveyard", "кладбищ нет", "кладовищ немає"),
    "stage": ("Stage", "Этап", "Етап"),
    "p_win": ("P(win)", "P(выигрыш)", "P(виграш)"),
    "arrivals": ("Arrivals/day", "Приход/день", "Надходження/день"),
    "load": ("Team load ρ", "Загрузка команды ρ", "Завантаження команди ρ"),
    "wait": ("Mean wait, h", "Среднее ожидание, ч", "Середнє очікування, год"),
    "p_wait": ("P(wait)", "P(ожидание)", "P(очікування)"),
    "breach": ("Respond breach", "Нарушение respond", "Порушення respond"),
    "team": ("Team", "Команда", "Команда"),
    "size": ("Size", "Размер", "Розмір"),
    "utilization": ("Utilization", "Загрузка", "Завантаження"),
    "baseline": ("File", "Файл", "Файл"),
    "variant": ("With the sliders", "С ползунками", "З повзунками"),
    "reset": ("Reset", "Сбросить", "Скинути"),
    "save_scenario": ("Save as scenario", "Сохранить как сценарий", "Зберегти як сценарій"),
    "scenario_name": ("Scenario name", "Название сценария", "Назва сценарію"),
    "download": ("Download", "Скачать", "Завантажити"),
    "amocrm_plan": ("amoCRM plan", "План для amoCRM", "План для amoCRM"),
    "amocrm_apply": ("Apply to amoCRM", "Применить в amoCRM", "Застосувати в amoCRM"),
    "confirm_apply": ("Apply these changes to the live amoCRM account?",
                      "Применить эти изменения в рабочем аккаунте amoCRM?",
                      "Застосувати ці зміни в робочому акаунті amoCRM?"),
    "conflict": ("The file changed on disk and here. Keep the page's text (overwrite the "
                 "file)? Cancel loads the file's text.",
                 "Файл изменился и на диске, и здесь. Оставить текст страницы (перезаписать "
                 "файл)? «Отмена» загрузит текст файла.",
                 "Файл змінився і на диску, і тут. Залишити текст сторінки (перезаписати "
                 "файл)? «Скасувати» завантажить текст файлу."),
    "reloaded": ("Reloaded: the file changed on disk", "Загружено заново: файл изменился на диске",
                 "Завантажено знову: файл змінився на диску"),
    "errors_keep": ("The text has errors: showing the last valid figures",
                    "В тексте ошибки: показан последний верный расчет",
                    "У тексті помилки: показано останній правильний розрахунок"),
    "reps_done": ("replications", "прогонов", "прогонів"),
    "won": ("won", "выиграно", "виграно"),
    "conversion": ("conversion", "конверсия", "конверсія"),
    "backlog": ("Backlog, deals", "Завал, сделок", "Завал, угод"),
}


def language_of(funnel: m.FunnelFile | None) -> str:
    if funnel is not None:
        for account in funnel.accounts:
            if account.language in LANGUAGES:
                return account.language
    return "en"


def labels(language: str) -> dict[str, str]:
    i = LANGUAGES.index(language) if language in LANGUAGES else 0
    return {key: texts[i] for key, texts in _LABELS.items()}
