import type { Rng } from './random.js'

/**
 * Russian people for the generated school: surnames with their feminine forms, first names with
 * patronymics, phone numbers in the forms operators type (`+7 (9xx) xxx-xx-xx`, `8 9xx …`) and e-mail
 * addresses transliterated from the name, so Cyrillic search and phone-digit search have real work.
 */
const SURNAMES =
  `Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков
  Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров Зайцев
  Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов Александров Дмитриев Королёв Гусев
  Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов
  Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов
  Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев Фомин
  Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов Родионов
  Коновалов Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв
  Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин
  Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов
  Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев
  Цветков Левин Митрофанов Воронов Аксёнов Софронов Мальцев Логинов Горшков Савин Краснов Майоров Демидов
  Елисеев Рыбаков Сафонов Плотников Дёмин Хохлов Жданов Носков Островский Вишневский Покровский Шевченко
  Ковальчук Бондаренко Ким Литвиненко Мельниченко Левченко`
    .split(/\s+/)
    .filter(Boolean)

const MEN = `Александр:Александрович Алексей:Алексеевич Андрей:Андреевич Антон:Антонович Артём:Артёмович
  Борис:Борисович Вадим:Вадимович Валерий:Валерьевич Василий:Васильевич Виктор:Викторович Владимир:Владимирович
  Владислав:Владиславович Вячеслав:Вячеславович Геннадий:Геннадьевич Георгий:Георгиевич Глеб:Глебович
  Григорий:Григорьевич Даниил:Даниилович Денис:Денисович Дмитрий:Дмитриевич Евгений:Евгеньевич Егор:Егорович
  Иван:Иванович Игорь:Игоревич Илья:Ильич Кирилл:Кириллович Константин:Константинович Лев:Львович
  Леонид:Леонидович Максим:Максимович Марк:Маркович Матвей:Матвеевич Михаил:Михайлович Никита:Никитич
  Николай:Николаевич Олег:Олегович Павел:Павлович Пётр:Петрович Роман:Романович Руслан:Русланович
  Сергей:Сергеевич Станислав:Станиславович Степан:Степанович Тимофей:Тимофеевич Тимур:Тимурович
  Фёдор:Фёдорович Юрий:Юрьевич Ярослав:Ярославович Арсений:Арсеньевич Мирон:Миронович`
  .split(/\s+/)
  .filter(Boolean)
  .map((pair) => pair.split(':') as [string, string])

const WOMEN =
  `Александра Алёна Алина Алиса Анастасия Анна Арина Валентина Валерия Варвара Вера Вероника Виктория
  Галина Дарья Диана Ева Екатерина Елена Елизавета Злата Ирина Кира Ксения Лариса Любовь Людмила Маргарита
  Марина Мария Милана Надежда Наталья Нина Оксана Ольга Полина Светлана София Таисия Татьяна Ульяна Юлия
  Яна Василиса Вероника Эмилия Ангелина Есения`
    .split(/\s+/)
    .filter(Boolean)

const TRANSLIT: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
}

export function translit(s: string): string {
  return [...s.toLowerCase()].map((c) => TRANSLIT[c] ?? (/[a-z0-9]/.test(c) ? c : '')).join('')
}

/** The feminine form of a surname: Иванов → Иванова, Островский → Островская, Шевченко stays. */
export function feminine(surname: string): string {
  if (/(ов|ев|ёв|ин|ын)$/.test(surname)) return `${surname}а`
  if (surname.endsWith('ский')) return `${surname.slice(0, -4)}ская`
  return surname
}

/** Patronymic of a woman from the man's form: Иванович → Ивановна, Ильич → Ильинична. */
function femininePatronymic(p: string): string {
  if (p === 'Ильич') return 'Ильинична'
  if (p === 'Никитич') return 'Никитична'
  return p.replace(/ич$/, 'на')
}

export interface Person {
  /** The family's surname in its masculine form, for relatives. */
  family: string
  surname: string
  first: string
  patronymic: string
  /** 1 male, 2 female (§7.3 gender). */
  gender: 1 | 2
}

/** A person; family members share `surname` (its masculine form), in the form of their gender. */
export function person(
  rng: Rng,
  gender: 1 | 2 = rng.chance(0.5) ? 1 : 2,
  surname = rng.pick(SURNAMES),
): Person {
  const father = rng.pick(MEN)
  if (gender === 1) {
    const [first] = rng.pick(MEN)
    return { family: surname, surname, first, patronymic: father[1], gender }
  }
  return {
    family: surname,
    surname: feminine(surname),
    first: rng.pick(WOMEN),
    patronymic: femininePatronymic(father[1]),
    gender,
  }
}

/** `Фамилия Имя Отчество` mostly; `Фамилия Имя` for some. */
export function fullName(p: Person, withPatronymic = true): string {
  return withPatronymic ? `${p.surname} ${p.first} ${p.patronymic}` : `${p.surname} ${p.first}`
}

const pad = (n: number, w: number) => String(n).padStart(w, '0')

/** A Russian mobile number in one of the forms operators type. */
export function phone(rng: Rng): string {
  const code = rng.int(900, 999)
  const a = pad(rng.int(0, 999), 3)
  const b = pad(rng.int(0, 99), 2)
  const c = pad(rng.int(0, 99), 2)
  return rng.weighted<string>([
    [`+7 (${code}) ${a}-${b}-${c}`, 8],
    [`8 (${code}) ${a}-${b}-${c}`, 1],
    [`8${code}${a}${b}${c}`, 1],
  ])
}

const DOMAINS = ['mail.ru', 'yandex.ru', 'gmail.com', 'bk.ru', 'inbox.ru', 'list.ru', 'rambler.ru']

export function email(rng: Rng, p: Person): string {
  const local = rng.weighted<string>([
    [`${translit(p.surname)}.${translit(p.first)}`, 3],
    [`${translit(p.first)}${translit(p.surname)}${rng.int(1, 99)}`, 2],
    [`${translit(p.first)[0]}${translit(p.surname)}${rng.int(70, 2015)}`, 2],
  ])
  return `${local}@${rng.pick(DOMAINS)}`
}
