/**
 * Every text of the staff app, in Russian. One catalogue: another language is a second object of the
 * same type (`Messages`), chosen in i18n/index.ts. Sections follow the app's pages.
 */
export const ru = {
  app: {
    name: 'Parta',
    loading: 'Загрузка…',
    retry: 'Повторить',
    save: 'Сохранить',
    cancel: 'Отмена',
    close: 'Закрыть',
    create: 'Создать',
    edit: 'Изменить',
    delete: 'Удалить',
    search: 'Поиск',
    yes: 'Да',
    no: 'Нет',
    all: 'Все',
    none: 'Нет',
    empty: 'Ничего не найдено',
    saved: 'Сохранено',
    notFound: 'Страница не найдена',
    toHome: 'На главную',
    page: (from: number, to: number, total: number) => `${from}–${to} из ${total}`,
    total: (n: number) => `Всего: ${n}`,
    menu: 'Меню',
  },
  errors: {
    network: 'Сервер недоступен. Проверьте соединение и повторите.',
    timeout: 'Сервер не ответил вовремя. Повторите.',
    forbidden: 'Недостаточно прав для этого действия.',
    notFound: 'Запись не найдена или недоступна.',
    rate: 'Слишком много запросов. Подождите немного.',
    server: 'Ошибка сервера. Повторите позже.',
    checkFields: 'Проверьте поля формы.',
  },
  auth: {
    title: 'Вход в Parta',
    subtitle: 'Рабочее место сотрудника учебного центра',
    email: 'E-mail',
    password: 'Пароль',
    signIn: 'Войти',
    signOut: 'Выйти',
    wrong: 'Неверный e-mail или пароль.',
    tooMany: 'Слишком много попыток. Попробуйте через минуту.',
    expired: 'Сеанс завершён. Войдите снова.',
    changePassword: 'Сменить пароль',
    currentPassword: 'Текущий пароль',
    newPassword: 'Новый пароль',
    passwordChanged: 'Пароль изменён. Другие сеансы завершены.',
    role: { admin: 'Администратор', manager: 'Менеджер', teacher: 'Педагог', readonly: 'Только просмотр' },
  },
  nav: {
    customers: 'Клиенты',
    leads: 'Воронка лидов',
    payments: 'Платежи',
    branch: 'Филиал',
    user: 'Пользователь',
    docs: 'API',
  },
  money: {
    currency: 'RUB',
  },
  // Pages fill their own sections below.
  customers: {},
  card: {},
  leads: {},
  payments: {},
}

export type Messages = typeof ru
