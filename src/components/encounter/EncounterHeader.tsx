import { Button, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { CareIdentity, EncounterView } from '../../../types/encounter';
import type { ConsultationInfo, Role } from '../../../types/message';
import { doctorLines, panelLine, patientStep, STEP_PAGE, STEP_TEXT } from '../../render/encounter';

/**
 * Above the list: for the patient, the doctor's verified identity (互联网诊疗监管细则); for the doctor,
 * the patient panel (name, sex, age; allergies in red) from the confirmed identity and the intake.
 */
export function EncounterHeader({ role, encounter }: { role?: Role; encounter?: EncounterView }) {
  if (role === 'patient' && encounter?.doctor) {
    const d = doctorLines(encounter.doctor);
    return (
      <View className='encounter-doctor'>
        <Text className='encounter-doctor-name'>{d.name}</Text>
        <Text className='encounter-doctor-detail'>{d.detail}</Text>
        <Text className='encounter-doctor-licence'>{d.licence}</Text>
        {encounter.doctorRating && encounter.doctorRating.count > 0 && (
          <Text className='encounter-doctor-rating'>{`★ ${encounter.doctorRating.average.toFixed(1)}`}</Text>
        )}
      </View>
    );
  }
  if (role === 'doctor' && encounter?.identity) {
    const allergies = encounter.intake?.allergies ?? [];
    return (
      <View className='patient-panel'>
        <Text className='patient-panel-who'>{panelLine(encounter.identity as CareIdentity)}</Text>
        {encounter.identity.guardian && <Text className='patient-panel-guardian'>{`监护人 ${encounter.identity.guardian.name}`}</Text>}
        {encounter.intake && (
          <Text className={allergies.length ? 'patient-panel-allergies' : 'patient-panel-no-allergies'}>
            {allergies.length ? `过敏：${allergies.join('、')}` : '无已知过敏'}
          </Text>
        )}
        {encounter.doctorRating && encounter.doctorRating.count > 0 && (
          <Text className='patient-panel-rating'>{`我的评分 ★ ${encounter.doctorRating.average.toFixed(1)}（${encounter.doctorRating.count} 条）`}</Text>
        )}
      </View>
    );
  }
  return null;
}

/** In place of the composer until the patient confirmed the identity and consented; above it until the intake is in. */
export function EncounterGate({ sessionId, consultation, role }: { sessionId: string; consultation?: ConsultationInfo; role?: Role }) {
  const step = patientStep(consultation, role);
  const q = `?id=${encodeURIComponent(sessionId)}`;
  // The intake may come before or beside the first message: asked for, not in the way of the composer.
  if (step === 'intake') {
    return (
      <Text className='encounter-intake-prompt' onClick={() => void Taro.navigateTo({ url: STEP_PAGE.intake + q })}>
        {`${STEP_TEXT.intake} ›`}
      </Text>
    );
  }
  if (step) {
    return (
      <View className='encounter-gate'>
        <Text className='encounter-gate-text'>{STEP_TEXT[step]}</Text>
        <Button className={`encounter-gate-go encounter-go-${step}`} onClick={() => void Taro.navigateTo({ url: STEP_PAGE[step] + q })}>
          去确认
        </Button>
      </View>
    );
  }
  return null;
}

/** After closing: the patient's way to rate (once), or to see their rating. */
export function RateEntry({ sessionId, consultation, role, encounter }: { sessionId: string; consultation?: ConsultationInfo; role?: Role; encounter?: EncounterView }) {
  if (role !== 'patient' || consultation?.status !== 'closed') return null;
  // 追问: what the server counts as left after closing (types/encounter.ts followUpsLeft).
  const left = encounter?.followUp?.left;
  return (
    <View>
      <Text className='encounter-rate' onClick={() => void Taro.navigateTo({ url: `/consult/rate/index?id=${encodeURIComponent(sessionId)}` })}>
        {consultation.rated ? '查看我的评价' : '评价本次问诊'}
      </Text>
      {left !== undefined && left > 0 && <Text className='encounter-follow-up'>{`问诊已结束，还可追问 ${left} 条`}</Text>}
    </View>
  );
}
